"""Identity's wire models: ``requests`` (what clients send) and ``responses`` (what they get)."""
