"""Every learning query lives in this package (ARCHITECTURE.md §3 rule 2).

* ``enrollments``: enrollments, entitlements, counts, expiry;
* ``progress``: lesson and module progress (the heartbeat is one conditional UPDATE);
* ``reports``: dashboards, rosters (page and keyset chunks), the activity feed;
* ``jobs``: bulk enrollment batches and roster exports.

Invariants hold in the database: a unique (user, course) with ``INSERT ... ON CONFLICT``,
conditional ``UPDATE ... WHERE status = ...`` for every transition, never check-then-act.
"""
