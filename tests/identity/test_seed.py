"""Demo data, first-run seeding and the admin-creation entry point (and the CLI commands)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from httpx import AsyncClient

import campus.seed
from campus.config import Environment, Settings
from campus.identity.models import InstructorProfile, User, UserRole
from campus.identity.service.passwords import is_common
from campus.kernel.db import Database
from campus.kernel.module import DemoAccount
from campus.seed import create_admin_account, seed_demo_if_first_run
from tests.fixtures.demo import DemoWorld
from tests.fixtures.identity import IdentityFactory


async def test_seed_demo_creates_verified_accounts_with_profiles_and_is_idempotent(
    demo: DemoWorld, demo_client: AsyncClient
) -> None:
    accounts = demo.accounts
    again = demo.accounts_again
    assert accounts == again
    assert sorted(a.role for a in accounts) == (
        ["admin"] + ["consultant"] * 2 + ["instructor"] * 2 + ["student"] * 5
    )
    for account in accounts:
        assert len(account.password) >= 12
        assert not is_common(account.password)
    async with demo.db.read_session() as s:
        users = (await s.execute(sa.select(sa.func.count()).select_from(User))).scalar_one()
        unverified = (
            await s.execute(
                sa.select(sa.func.count()).select_from(User).where(User.email_verified_at.is_(None))
            )
        ).scalar_one()
        profiles = (await s.execute(sa.select(InstructorProfile.headline))).scalars().all()
        admins = (
            await s.execute(sa.select(UserRole.user_id).where(UserRole.role_name == "admin"))
        ).all()
    assert users == 10
    assert unverified == 0
    assert len(admins) == 1
    assert len(profiles) == 2
    assert all(profiles)
    admin = next(a for a in accounts if a.role == "admin")
    login = await demo_client.post(
        "/api/v1/auth/login", json={"email": admin.email, "password": admin.password}
    )
    assert login.status_code == 200


async def test_first_run_seeding_happens_only_once_and_only_when_enabled(
    settings: Settings, identity: IdentityFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decision only: the demo itself is checked on the demo world (tests/fixtures/demo.py),
    so the seeding here is a stand-in that creates one account, as the real one would."""
    seeded: list[Settings] = []

    async def stand_in(given: Settings) -> list[DemoAccount]:
        seeded.append(given)
        user = await identity.user(email="first@campus.example")
        return [DemoAccount("student", user.email, user.password)]

    monkeypatch.setattr(campus.seed, "seed_demo", stand_in)
    assert await seed_demo_if_first_run(settings) is None  # the test settings disable it
    enabled = settings.model_copy(update={"seed_demo_on_first_run": True})
    created = await seed_demo_if_first_run(enabled)
    assert created is not None
    assert [a.email for a in created] == ["first@campus.example"]
    assert await seed_demo_if_first_run(enabled) is None  # an account exists now
    assert seeded == [enabled]
    production = enabled.model_copy(update={"env": Environment.PRODUCTION})
    assert await seed_demo_if_first_run(production) is None
    assert len(seeded) == 1


async def test_create_admin_account_makes_a_verified_admin_and_explains_refusals(
    settings: Settings, db: Database
) -> None:
    user_id = await create_admin_account(
        settings,
        email="root@example.com",
        password="granite-sparrow-oath-9",
        first_name="Root",
        last_name="Admin",
    )
    async with db.read_session() as s:
        roles = set(
            (
                await s.execute(sa.select(UserRole.role_name).where(UserRole.user_id == user_id))
            ).scalars()
        )
        verified = (
            await s.execute(sa.select(User.email_verified_at).where(User.id == user_id))
        ).scalar_one()
    assert roles == {"admin"}
    assert verified is not None
    with pytest.raises(ValueError, match="already exists"):
        await create_admin_account(
            settings,
            email="ROOT@example.com",
            password="granite-sparrow-oath-9",
            first_name="Root",
            last_name="Admin",
        )
    with pytest.raises(ValueError, match="too common"):
        await create_admin_account(
            settings,
            email="other@example.com",
            password="password1234",
            first_name="Root",
            last_name="Admin",
        )


def test_the_cli_seeds_demo_data_and_creates_an_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from campus.cli import app as cli
    from campus.config import get_settings

    monkeypatch.setenv("CAMPUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAMPUS_ENV", "development")
    monkeypatch.delenv("CAMPUS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        seeded = runner.invoke(cli, ["seed-demo"])
        assert seeded.exit_code == 0, seeded.output
        assert "admin@campus.example" in seeded.output
        created = runner.invoke(
            cli,
            [
                *("create-admin", "--email", "ops@example.com", "--first-name", "Ops"),
                *("--last-name", "Person", "--password", "lighthouse-cobalt-fern-8"),
            ],
        )
        assert created.exit_code == 0, created.output
        assert "Administrator created" in created.output
        for email, password, reason in (
            ("ops@example.com", "lighthouse-cobalt-fern-8", "already exists"),
            ("weak@example.com", "password1234", "too common"),
            ("not-an-email", "lighthouse-cobalt-fern-8", "email"),
        ):
            refused = runner.invoke(
                cli,
                [
                    *("create-admin", "--email", email, "--first-name", "Ops"),
                    *("--last-name", "Person", "--password", password),
                ],
            )
            assert refused.exit_code == 1, refused.output
            assert reason in refused.output
            assert "Traceback" not in refused.output
            assert refused.exception is None or isinstance(refused.exception, SystemExit)
    finally:
        get_settings.cache_clear()
