"""Learning's wire models, one module per area of ``endpoints`` (camelCase JSON; inputs forbid
unknown fields, AC-03/04: nobody sets ``status``, ``progress`` or ``completedAt`` through a
payload)."""
