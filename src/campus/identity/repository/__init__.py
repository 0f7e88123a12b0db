"""Every identity query lives in this package (ARCHITECTURE.md §3 rule 2).

* ``users``: accounts, profiles, settings, roles and the token verifier's query;
* ``credentials``: sessions, refresh tokens, email/reset tokens and MFA;
* ``directory``: admin listings, summaries for other contexts, instructors, the role catalog.

Invariants hold in the database: unique email key and token hashes, ``INSERT ... ON CONFLICT``
(``campus.kernel.db.dialect_insert``, PostgreSQL and SQLite) instead of check-then-insert, and
conditional ``UPDATE ... RETURNING`` for every single-use token.
"""
