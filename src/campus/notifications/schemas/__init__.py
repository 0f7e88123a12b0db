"""Notifications' wire models."""
