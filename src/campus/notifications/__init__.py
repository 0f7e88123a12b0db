"""The notifications context (ARCHITECTURE.md §2)."""
