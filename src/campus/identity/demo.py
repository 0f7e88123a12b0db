"""Identity's demo data: one admin, two instructors with profiles, five students, and one
company (Acme Learning) where a student is org admin and three others are learners."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity import api as identity
from campus.identity.data import ADMIN, INSTRUCTOR, STUDENT, OrgRole
from campus.kernel.module import DemoAccount, SeedState


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


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
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

    await _seed_company(session, state)


#: The demo company: Priya runs it, Maria, Kenji and Amara learn there; Lucas stays a solo
#: learner.
DEMO_COMPANY_SLUG = "acme"
DEMO_COMPANY_MEMBERS: tuple[tuple[str, OrgRole], ...] = (
    ("priya@campus.example", OrgRole.ORG_ADMIN),
    ("maria@campus.example", OrgRole.LEARNER),
    ("kenji@campus.example", OrgRole.LEARNER),
    ("amara@campus.example", OrgRole.LEARNER),
)


async def _seed_company(session: AsyncSession, state: SeedState) -> None:
    await identity.ensure_organization(
        session,
        name="Acme Learning",
        slug=DEMO_COMPANY_SLUG,
        domains=("acme.example",),
        primary_colour="#1a73e8",
        members=[(state.user_ids[email], role) for email, role in DEMO_COMPANY_MEMBERS],
    )
