"""Billing's rules. Services return frozen records (``records.py``) and never commit."""
