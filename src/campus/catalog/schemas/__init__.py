"""Catalog wire models (camelCase; inputs forbid unknown fields)."""
