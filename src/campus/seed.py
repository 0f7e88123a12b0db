"""Demo data and first-run accounts (composition level: it may call every context's doorway).

The demo data set is a list of seed steps (``SEED_STEPS``); each context appends its own step,
which runs in its own transaction, sees the accounts created before it (``SeedState``) and must
be idempotent. Demo data is never loaded in production (AUTH-09: no default accounts).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from campus.catalog import api as catalog
from campus.config import Settings
from campus.identity import api as identity
from campus.identity.data import ADMIN, INSTRUCTOR, STUDENT
from campus.kernel.db import Database
from campus.kernel.errors import AppError, Conflict
from campus.kernel.health import alembic_config
from campus.kernel.logging import get_logger
from campus.kernel.storage import local_storage

log = get_logger("campus.seed")


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: str
    email: str
    password: str


@dataclass
class SeedState:
    """What earlier steps created: the demo accounts and their ids by email."""

    accounts: list[DemoAccount] = field(default_factory=list)
    user_ids: dict[str, uuid.UUID] = field(default_factory=dict)


SeedStep = Callable[[AsyncSession, Settings, SeedState], Awaitable[None]]


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True, slots=True)
class _DemoPerson:
    role: str
    email: str
    first_name: str
    last_name: str
    password: str
    headline: str | None = None
    bio: str | None = None
    expertise: tuple[str, ...] = ()
    years: int | None = None


# Strong but memorable (>= 12 characters, not in the common-password list), development only.
_ADMIN_PASSWORD = "admin-violet-harbor-42"  # noqa: S105  # nosec B105 - published demo credential
_INSTRUCTOR_PASSWORD = "teach-maple-comet-17"  # noqa: S105  # nosec B105 - published demo credential
_STUDENT_PASSWORD = "learn-river-canvas-24"  # noqa: S105  # nosec B105 - published demo credential

DEMO_PEOPLE: tuple[_DemoPerson, ...] = (
    _DemoPerson(ADMIN, "admin@campus.example", "Grace", "Hopper", _ADMIN_PASSWORD),
    _DemoPerson(
        INSTRUCTOR,
        "ada@campus.example",
        "Ada",
        "Lovelace",
        _INSTRUCTOR_PASSWORD,
        headline="Programming from first principles",
        bio="Writes about algorithms, analytical engines and teaching people to code.",
        expertise=("Python", "Algorithms", "Mathematics"),
        years=12,
    ),
    _DemoPerson(
        INSTRUCTOR,
        "alan@campus.example",
        "Alan",
        "Turing",
        _INSTRUCTOR_PASSWORD,
        headline="Computation, cryptography and clear thinking",
        bio="Teaches computability, cryptography and machine learning foundations.",
        expertise=("Cryptography", "Theory of computation", "Machine learning"),
        years=9,
    ),
    _DemoPerson(STUDENT, "maria@campus.example", "Maria", "Garcia", _STUDENT_PASSWORD),
    _DemoPerson(STUDENT, "kenji@campus.example", "Kenji", "Tanaka", _STUDENT_PASSWORD),
    _DemoPerson(STUDENT, "amara@campus.example", "Amara", "Okafor", _STUDENT_PASSWORD),
    _DemoPerson(STUDENT, "lucas@campus.example", "Lucas", "Silva", _STUDENT_PASSWORD),
    _DemoPerson(STUDENT, "priya@campus.example", "Priya", "Sharma", _STUDENT_PASSWORD),
)


async def seed_identity(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """One admin, two instructors with profiles, five students; all verified. Idempotent."""
    del settings
    existing = await identity.find_user_ids_by_emails(session, [p.email for p in DEMO_PEOPLE])
    for person in DEMO_PEOPLE:
        user_id = existing.get(person.email)
        if user_id is None:
            user_id = await identity.create_user(
                session,
                email=person.email,
                password=person.password,
                first_name=person.first_name,
                last_name=person.last_name,
                roles=(person.role,),
                verified=True,
            )
            if person.role == INSTRUCTOR:
                await identity.set_instructor_profile(
                    session,
                    user_id,
                    headline=person.headline,
                    bio=person.bio,
                    expertise=person.expertise,
                    years_of_experience=person.years,
                )
        state.user_ids[person.email] = user_id
        state.accounts.append(DemoAccount(person.role, person.email, person.password))


#: The demo data set, in order. Contexts append their steps here.
async def seed_catalog(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """Categories, 14 published courses and the Python track, by the demo instructors."""
    del settings
    await catalog.seed_demo(
        session,
        instructor_ids=[
            state.user_ids["ada@campus.example"],
            state.user_ids["alan@campus.example"],
        ],
        reviewer_id=state.user_ids["admin@campus.example"],
    )


#: (student, course slug, share of required lessons done, days since the last activity)
_DEMO_LEARNING = (
    ("maria@campus.example", "python-programming", 1.0, 6),
    ("maria@campus.example", "web-accessibility-in-practice", 0.5, 1),
    ("maria@campus.example", "modern-javascript", 0.25, 3),
    ("kenji@campus.example", "python-programming", 0.3, 0),
    ("kenji@campus.example", "color-theory-for-designers", 0.0, 2),
    ("kenji@campus.example", "data-analysis-with-pandas", 0.75, 4),
    ("amara@campus.example", "web-accessibility-in-practice", 0.8, 0),
    ("amara@campus.example", "machine-learning-foundations", 0.1, 5),
    ("lucas@campus.example", "color-theory-for-designers", 0.6, 1),
    ("priya@campus.example", "python-programming", 0.1, 2),
    ("priya@campus.example", "web-accessibility-in-practice", 0.0, 0),
)


async def seed_learning(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """The demo students' enrollments at different progress levels (Maria finished Python)."""
    del settings
    from campus.learning import api as learning

    slugs = await catalog.find_course_ids_by_slugs(session, {s for _, s, _, _ in _DEMO_LEARNING})
    plan = [
        (state.user_ids[email], slugs[slug], share, days)
        for email, slug, share, days in _DEMO_LEARNING
        if email in state.user_ids and slug in slugs
    ]
    await learning.seed_demo(session, plan, granted_by=state.user_ids.get("admin@campus.example"))


SEED_STEPS: list[SeedStep] = [seed_identity, seed_catalog, seed_learning]


async def seed_assessment(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """The Python track's quiz (every question type), an assignment with a graded and an
    ungraded submission, and an exam. Runs after every other step (it enrolls two demo
    students itself when the learning step has not)."""
    from campus.assessment import api as assessment

    found = await catalog.find_course_ids_by_slugs(session, ["python-programming"])
    course_id = found.get("python-programming")
    if course_id is None:
        log.warning("assessment_demo_skipped", reason="no python-programming course")
        return
    learners = [
        state.user_ids[email]
        for email in ("maria@campus.example", "kenji@campus.example")
        if email in state.user_ids
    ]
    await assessment.seed_demo(session, course_id, learners, local_storage(settings))


SEED_STEPS.append(seed_assessment)


async def seed_coding(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """Seed 003's coding exercises on the Python track's three modules ("Write a Calculator
    Program", "FizzBuzz Challenge", "Create a Function Library"), each published once its
    reference solution passed its own tests in the configured code runner."""
    from campus.assessment.coding import api as coding

    found = await catalog.find_course_ids_by_slugs(session, ["python-programming"])
    course_id = found.get("python-programming")
    course = await catalog.get_course_summary(session, course_id) if course_id else None
    if course is None or course.track_slug != "python":
        log.warning("coding_demo_skipped", reason="no course on the python track")
        return
    instructor = state.user_ids.get("ada@campus.example", course.primary_instructor_id)
    await coding.seed_demo(session, settings, course.id, instructor)


SEED_STEPS.append(seed_coding)


# --------------------------------------------------------------------------- entry points


async def migrate_database(settings: Settings) -> None:
    """Bring the configured database to the latest migration (from async code)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:

            def upgrade(sync_conn: sa.Connection) -> None:
                config = alembic_config(url)
                config.attributes["connection"] = sync_conn
                command.upgrade(config, "heads")

            await conn.run_sync(upgrade)
    finally:
        await engine.dispose()


def _database(settings: Settings) -> Database:
    return Database(settings.resolved_database_url, null_pool=True)


async def seed_demo(settings: Settings) -> list[DemoAccount]:
    """Load the demo data set (migrating first). Safe to run again: existing data is kept."""
    if settings.is_production:
        raise RuntimeError("Demo data is never loaded in production (it has known passwords).")
    await migrate_database(settings)
    db = _database(settings)
    try:
        await identity.sync_role_catalog(db)
        state = SeedState()
        for step in SEED_STEPS:
            async with db.session() as session:
                await step(session, settings, state)
        return state.accounts
    finally:
        await db.dispose()


async def seed_demo_if_first_run(settings: Settings) -> list[DemoAccount] | None:
    """Seed the demo data when the database has no account yet, in development only
    (``seed_demo_on_first_run``). None when nothing was seeded."""
    if settings.is_production or not settings.seed_demo_on_first_run:
        return None
    db = _database(settings)
    try:
        async with db.read_session() as session:
            if await identity.has_users(session):
                return None
    except SQLAlchemyError as exc:  # not migrated (serve --no-migrate): readiness will say so
        log.warning("first_run_check_failed", error=type(exc).__name__)
        return None
    finally:
        await db.dispose()
    return await seed_demo(settings)


async def create_admin_account(
    settings: Settings, *, email: str, password: str, first_name: str, last_name: str
) -> uuid.UUID:
    """A verified administrator (the production way to get the first admin)."""
    await migrate_database(settings)
    db = _database(settings)
    try:
        await identity.sync_role_catalog(db)
        async with db.session() as session:
            return await identity.create_user(
                session,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                roles=(ADMIN,),
                verified=True,
            )
    except Conflict as exc:
        raise ValueError("An account with this email address already exists.") from exc
    except AppError as exc:
        fields = exc.details.get("fields", [])
        reasons = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or exc.message
        raise ValueError(f"The administrator could not be created: {reasons}") from exc
    finally:
        await db.dispose()
