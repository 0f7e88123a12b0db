"""Billing: subscription plans, subscriptions and their renewals, seats of enterprise plans."""
