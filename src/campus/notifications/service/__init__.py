"""Notifications' rules."""
