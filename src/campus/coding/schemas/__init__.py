"""Wire models of coding exercises (camelCase JSON; inputs forbid unknown fields)."""
