"""Billing's queries."""
