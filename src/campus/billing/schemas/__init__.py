"""Billing's wire models."""
