"""Assessment wire models."""
