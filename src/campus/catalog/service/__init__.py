"""Catalog business rules. Services take the Principal, check access, never commit and return
domain records (``records``); the endpoints map them to wire models (``schemas``)."""
