"""Commerce: cart, checkout, orders, coupons, payments, refunds, invoices, tax and payouts."""
