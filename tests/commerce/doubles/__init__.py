"""Local HTTP doubles of the payment providers (Stripe, PayPal): real servers on 127.0.0.1
that answer with the providers' documented shapes and check what the providers check."""
