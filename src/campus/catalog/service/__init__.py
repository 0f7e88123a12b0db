"""Catalog business rules. Services take the Principal, check access, never commit."""
