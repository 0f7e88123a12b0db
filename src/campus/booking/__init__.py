"""The booking context (ARCHITECTURE.md §2)."""
