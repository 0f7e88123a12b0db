"""The demo data set as a whole: every context's demo step runs, and seeding twice changes
nothing (each context's own demo tests check what its step created)."""

from __future__ import annotations

from tests.fixtures.demo import DemoWorld


def test_seeding_the_demo_twice_changes_no_row_and_returns_the_same_accounts(
    demo: DemoWorld,
) -> None:
    changed = {
        table: (count, demo.rows_after_second[table])
        for table, count in demo.rows_after_first.items()
        if demo.rows_after_second[table] != count
    }
    assert changed == {}
    assert demo.accounts_again == demo.accounts
    assert sum(demo.rows_after_first.values()) > 100
