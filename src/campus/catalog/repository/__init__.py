"""Every catalog query. Split by subject: courses, structure, taxonomy, browse, search."""
