"""Identity ORM models."""
