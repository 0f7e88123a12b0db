"""The community context (ARCHITECTURE.md §2)."""
