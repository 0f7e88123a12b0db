"""Notifications' queries."""
