"""Coding exercises' business rules. Services never commit (except ``test_runs.pause``, before
code runs); every query lives in ``repository``."""
