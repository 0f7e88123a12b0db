"""Identity's rules, one module per area. Services never commit (the request scope does) and
return domain objects; the endpoints map them to wire schemas."""
