"""Demo catalog: a category tree, 14 published courses across levels, languages and prices, one
course with a French translation, and the Python track of seed 003 with real short materials.

Built through the catalog's own services (so the demo obeys every rule) by the demo
instructors, and approved by the demo admin. Idempotent: nothing happens if it ran before.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api
from campus.catalog.data import CourseLevel, LessonType
from campus.catalog.repository import taxonomy as taxonomy_repo
from campus.catalog.schemas.courses import (
    ApproveRequest,
    CourseCreate,
    CourseTranslationIn,
    SubmitRequest,
    TrackIn,
)
from campus.catalog.schemas.fields import PriceIn
from campus.catalog.schemas.structure import LessonCreate, LessonTranslationIn, ModuleCreate
from campus.catalog.schemas.taxonomy import CategoryCreate, CategoryTranslationIn
from campus.catalog.service import authoring, publication, structure, taxonomy
from campus.config import Settings
from campus.identity import api as identity
from campus.identity.data import ADMIN, INSTRUCTOR
from campus.kernel.auth import Principal
from campus.kernel.module import SeedState

# --------------------------------------------------------------------------- the Python track

_VIDEO = "https://media.campus.example/python/{}.mp4"

PYTHON_TRACK: dict[str, list[dict[str, Any]]] = {
    "Python Basics": [
        {
            "title": "Introduction to Python",
            "type": LessonType.VIDEO,
            "video": "introduction",
            "seconds": 420,
            "preview": True,
            "body": "Python is a readable, general-purpose language used for scripts, web "
            "back ends, data science and automation.\n\nIn this video:\n\n- installing "
            "Python 3\n- running the interactive interpreter (`python3`)\n- running a "
            "file: `python3 hello.py`",
        },
        {
            "title": "Variables and Data Types",
            "type": LessonType.ARTICLE,
            "minutes": 12,
            "body": "# Variables and data types\n\nA variable is a name bound to a value; no "
            "declaration is needed:\n\n```python\nage = 36          # int\nprice = 19.99"
            '     # float\nname = "Ada"      # str\nready = True      # bool\n```\n\n'
            "`type(value)` tells you the type. Strings are immutable; lists (`[1, 2, 3]`) "
            'and dictionaries (`{"a": 1}`) can change in place.',
        },
        {
            "title": "Code Example - Hello World",
            "type": LessonType.CODE_EXAMPLE,
            "minutes": 5,
            "body": '```python\ndef main() -> None:\n    name = input("What is your name? ")\n'
            '    print(f"Hello, {name}!")\n\n\nif __name__ == "__main__":\n    main()\n'
            "```\n\nRun it with `python3 hello.py` and type your name.",
        },
        {
            "title": "Write a Calculator Program",
            "type": LessonType.ASSIGNMENT,
            "minutes": 30,
            "body": "## Assignment\n\nWrite `calculate(a, op, b)` that supports `+`, `-`, `*` "
            "and `/`.\n\n- Division by zero returns `None`.\n- An unknown operator raises "
            '`ValueError`.\n\nExample: `calculate(6, "*", 7) == 42`.',
        },
        {
            "title": "Python Basics Quiz",
            "type": LessonType.QUIZ,
            "minutes": 10,
            "body": "Ten multiple-choice questions on variables, types and printing. "
            "You need 70% to pass.",
        },
    ],
    "Python Control Flow": [
        {
            "title": "If-Else Statements",
            "type": LessonType.VIDEO,
            "video": "if-else",
            "seconds": 540,
            "body": "Branching with `if`, `elif` and `else`:\n\n```python\nif score >= 90:\n"
            '    grade = "A"\nelif score >= 75:\n    grade = "B"\nelse:\n'
            '    grade = "C"\n```',
        },
        {
            "title": "Loops in Python",
            "type": LessonType.ARTICLE,
            "minutes": 15,
            "body": "# Loops\n\n`for` walks over any iterable; `while` repeats while a condition "
            "holds.\n\n```python\nfor n in range(1, 4):\n    print(n)\n\ncount = 3\nwhile "
            "count:\n    count -= 1\n```\n\n`break` leaves a loop early, `continue` skips to "
            "the next round.",
        },
        {
            "title": "FizzBuzz Challenge",
            "type": LessonType.ASSIGNMENT,
            "minutes": 20,
            "body": "## FizzBuzz\n\nPrint the numbers 1 to 100, but `Fizz` for multiples of "
            "3, `Buzz` for multiples of 5 and `FizzBuzz` for multiples of both.",
        },
        {
            "title": "Control Flow Quiz",
            "type": LessonType.QUIZ,
            "minutes": 10,
            "body": "Check your understanding of conditions and loops.",
        },
    ],
    "Python Functions": [
        {
            "title": "Defining Functions",
            "type": LessonType.VIDEO,
            "video": "functions",
            "seconds": 600,
            "body": "```python\ndef area(width: float, height: float = 1.0) -> float:\n"
            '    """The area of a rectangle."""\n    return width * height\n```\n\n'
            "Parameters may have defaults; `return` hands a value back.",
        },
        {
            "title": "Lambda Functions",
            "type": LessonType.ARTICLE,
            "minutes": 10,
            "body": "# Lambdas\n\nA `lambda` is a small anonymous function:\n\n```python\n"
            'by_length = sorted(["kiwi", "fig", "banana"], key=lambda word: len(word))'
            "\n```\n\nUse them for short keys and callbacks; give anything longer a name "
            "with `def`.",
        },
        {
            "title": "Create a Function Library",
            "type": LessonType.ASSIGNMENT,
            "minutes": 40,
            "body": "## Assignment\n\nWrite a module `textutils.py` with `word_count(text)`, "
            "`capitalize_words(text)` and `is_palindrome(text)`, each with a docstring and "
            "type hints.",
        },
        {
            "title": "Functions Quiz",
            "type": LessonType.QUIZ,
            "minutes": 10,
            "body": "Questions on parameters, return values and lambdas.",
        },
    ],
}

# --------------------------------------------------------------------------- the rest


@dataclass(frozen=True)
class _DemoCourse:
    title: str
    category: str
    language: str
    level: CourseLevel
    teacher: int  # index into the demo instructors
    price: tuple[str, str] | None = None
    subtitle: str = ""
    tags: tuple[str, ...] = ()
    track: tuple[str, str, str] | None = None  # slug, name, icon
    modules: tuple[str, ...] = ("Getting started", "Going further")
    rating: tuple[str, int] = ("4.50", 10)
    enrollments: int = 100
    extra: dict[str, Any] = field(default_factory=dict)


CATEGORIES: dict[str, list[str]] = {
    "Programming": ["Python", "Web Development", "Computer Science"],
    "Data": ["Data Science", "Machine Learning"],
    "Design": ["UI/UX", "Graphic Design"],
    "Business": ["Marketing", "Entrepreneurship"],
}
CATEGORY_TRANSLATIONS = {
    "Programming": {"fr": "Programmation", "es": "Programación"},
    "Data": {"fr": "Données", "es": "Datos"},
    "Design": {"fr": "Design", "es": "Diseño"},
    "Business": {"fr": "Affaires", "es": "Negocios"},
}

COURSES: tuple[_DemoCourse, ...] = (
    _DemoCourse(
        "Modern JavaScript",
        "Web Development",
        "en",
        CourseLevel.INTERMEDIATE,
        0,
        ("19.99", "USD"),
        "ES2023 from the ground up",
        ("JavaScript", "Web"),
        ("javascript", "JavaScript", "🟨"),
        rating=("4.60", 212),
        enrollments=1840,
    ),
    _DemoCourse(
        "Data Analysis with pandas",
        "Data Science",
        "en",
        CourseLevel.INTERMEDIATE,
        0,
        ("29.99", "USD"),
        "Clean, reshape and summarise data",
        ("Python", "Data"),
        rating=("4.70", 98),
        enrollments=960,
    ),
    _DemoCourse(
        "Machine Learning Foundations",
        "Machine Learning",
        "en",
        CourseLevel.ADVANCED,
        1,
        ("49.00", "USD"),
        "Models, losses and generalisation",
        ("AI", "Python"),
        rating=("4.80", 311),
        enrollments=2750,
    ),
    _DemoCourse(
        "Cryptography: From Caesar to RSA",
        "Computer Science",
        "en",
        CourseLevel.ADVANCED,
        1,
        ("39.00", "USD"),
        "Ciphers, keys and proofs",
        ("Security", "Mathematics"),
        rating=("4.90", 76),
        enrollments=540,
    ),
    _DemoCourse(
        "Introducción a SQL",
        "Data Science",
        "es",
        CourseLevel.BEGINNER,
        0,
        ("9.99", "EUR"),
        "Consultas, uniones y agregaciones",
        ("SQL", "Data"),
        rating=("4.40", 57),
        enrollments=430,
    ),
    _DemoCourse(
        "Les bases du design d'interface",
        "UI/UX",
        "fr",
        CourseLevel.BEGINNER,
        1,
        None,
        "Grilles, contrastes et hiérarchie",
        ("Design",),
        rating=("4.30", 41),
        enrollments=380,
    ),
    _DemoCourse(
        "Typografie für Einsteiger",
        "Graphic Design",
        "de",
        CourseLevel.BEGINNER,
        1,
        ("14.00", "EUR"),
        "Schriften wählen und kombinieren",
        ("Design", "Typography"),
        rating=("4.20", 19),
        enrollments=150,
    ),
    _DemoCourse(
        "Marketing Digital para Iniciantes",
        "Marketing",
        "pt-BR",
        CourseLevel.BEGINNER,
        0,
        None,
        "SEO, redes sociais e e-mail",
        ("Marketing",),
        rating=("4.10", 33),
        enrollments=610,
    ),
    _DemoCourse(
        "Startup Finance Essentials",
        "Entrepreneurship",
        "en",
        CourseLevel.INTERMEDIATE,
        1,
        ("24.00", "USD"),
        "Runway, unit economics and fundraising",
        ("Finance", "Startups"),
        rating=("4.50", 64),
        enrollments=720,
    ),
    _DemoCourse(
        "Web Accessibility in Practice",
        "Web Development",
        "en",
        CourseLevel.INTERMEDIATE,
        0,
        None,
        "WCAG for people who ship",
        ("Web", "Accessibility"),
        rating=("4.70", 88),
        enrollments=890,
        extra={
            "translation": (
                "fr",
                "L'accessibilité web en pratique",
                "Les WCAG pour celles et ceux qui livrent",
            )
        },
    ),
    _DemoCourse(
        "Algorithms and Complexity",
        "Computer Science",
        "en",
        CourseLevel.ADVANCED,
        1,
        ("3200", "JPY"),
        "Sorting, graphs and big-O",
        ("Algorithms", "Mathematics"),
        rating=("4.60", 120),
        enrollments=1300,
    ),
    _DemoCourse(
        "Go for Backend Developers",
        "Web Development",
        "en",
        CourseLevel.INTERMEDIATE,
        0,
        ("34.99", "USD"),
        "Services, concurrency and testing",
        ("Go", "Backend"),
        ("go", "Go", "🐹"),
        rating=("4.50", 45),
        enrollments=520,
    ),
    _DemoCourse(
        "Color Theory for Designers",
        "Graphic Design",
        "en",
        CourseLevel.BEGINNER,
        1,
        None,
        "Palettes that work",
        ("Design", "Color"),
        rating=("4.00", 27),
        enrollments=300,
    ),
)


def _principal(
    user_id: uuid.UUID, grants: dict[str, frozenset[str]], *, admin: bool = False
) -> Principal:
    role = ADMIN if admin else INSTRUCTOR
    return Principal(user_id, frozenset({role}), grants.get(role, frozenset()))


async def _categories(session: AsyncSession, admin: Principal) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    for order, (root, children) in enumerate(CATEGORIES.items()):
        parent = await taxonomy.create_category(
            session, admin, CategoryCreate(name=root, sort_order=order)
        )
        ids[root] = parent.id
        for language, name in CATEGORY_TRANSLATIONS.get(root, {}).items():
            await taxonomy.put_category_translation(
                session, admin, parent.id, language, CategoryTranslationIn(name=name)
            )
        for child_order, child in enumerate(children):
            created = await taxonomy.create_category(
                session,
                admin,
                CategoryCreate(name=child, parent_id=parent.id, sort_order=child_order),
            )
            ids[child] = created.id
    return ids


async def _publish(
    session: AsyncSession, owner: Principal, admin: Principal, course_id: uuid.UUID
) -> None:
    await publication.submit(session, owner, course_id, SubmitRequest(changelog="First edition"))
    await publication.approve(session, admin, course_id, ApproveRequest(notes="Welcome aboard"))


async def _python_track(
    session: AsyncSession, owner: Principal, admin: Principal, category_id: uuid.UUID
) -> uuid.UUID:
    course = await authoring.create_course(
        session,
        owner,
        CourseCreate(
            title="Python Programming",
            subtitle="From your first variable to your own function library",
            description="The Python track: basics, control flow and functions, with "
            "materials, coding assignments and quizzes for every module.",
            category_id=category_id,
            language="en",
            level=CourseLevel.BEGINNER,
            tags=["Python", "Programming"],
            objectives=[
                "Write and run Python programs",
                "Use conditions and loops",
                "Structure code with functions",
            ],
            has_certificate=True,
            track=TrackIn(slug="python", name="Python", icon="🐍"),
        ),
    )
    for title, materials in PYTHON_TRACK.items():
        module = await structure.create_module(
            session, owner, course.id, ModuleCreate(title=title, is_sequential=True)
        )
        for item in materials:
            video = item.get("video")
            await structure.create_lesson(
                session,
                owner,
                course.id,
                module.id,
                LessonCreate(
                    title=item["title"],
                    type=item["type"],
                    body=item["body"],
                    video_url=_VIDEO.format(video) if video else None,
                    video_duration_seconds=item.get("seconds"),
                    estimated_minutes=item.get("minutes"),
                    is_preview=bool(item.get("preview")),
                ),
            )
    await _publish(session, owner, admin, course.id)
    return course.id


async def seed_demo(
    session: AsyncSession, *, instructor_ids: Sequence[uuid.UUID], reviewer_id: uuid.UUID
) -> bool:
    """Create the demo catalog unless it exists. Returns whether anything was created."""
    if await taxonomy_repo.get_category_by_slug(session, "programming") is not None:
        return False
    grants = await identity.role_permissions(session)
    teachers = [_principal(uid, grants) for uid in instructor_ids]
    admin = _principal(reviewer_id, grants, admin=True)
    categories = await _categories(session, admin)
    python = await _python_track(session, teachers[0], admin, categories["Python"])
    await api.set_rating(session, python, Decimal("4.85"), 402)
    await api.set_enrollment_count(session, python, 3920)
    for spec in COURSES:
        owner = teachers[spec.teacher % len(teachers)]
        course = await authoring.create_course(
            session,
            owner,
            CourseCreate(
                title=spec.title,
                subtitle=spec.subtitle or None,
                description=f"{spec.subtitle}. A practical course with short lessons.",
                category_id=categories[spec.category],
                language=spec.language,
                level=spec.level,
                tags=list(spec.tags),
                price=None
                if spec.price is None
                else PriceIn(amount=Decimal(spec.price[0]), currency=spec.price[1]),
                has_certificate=spec.price is not None,
                track=None
                if spec.track is None
                else TrackIn(slug=spec.track[0], name=spec.track[1], icon=spec.track[2]),
            ),
        )
        for m, module_title in enumerate(spec.modules, start=1):
            module = await structure.create_module(
                session, owner, course.id, ModuleCreate(title=module_title)
            )
            for n in (1, 2):
                lesson = await structure.create_lesson(
                    session,
                    owner,
                    course.id,
                    module.id,
                    LessonCreate(
                        title=f"Lesson {m}.{n}",
                        type=LessonType.ARTICLE,
                        body=f"# {spec.title}\n\nPart {m}.{n}: {spec.subtitle.lower()}.",
                        estimated_minutes=8 + 2 * n,
                        is_preview=m == 1 and n == 1,
                    ),
                )
                translation = spec.extra.get("translation")
                if translation is not None:
                    await structure.put_lesson_translation(
                        session,
                        owner,
                        course.id,
                        lesson.id,
                        translation[0],
                        LessonTranslationIn(title=f"Leçon {m}.{n}", body=f"Partie {m}.{n}."),
                    )
        translation = spec.extra.get("translation")
        if translation is not None:
            language, title, subtitle = translation
            await authoring.put_translation(
                session,
                owner,
                course.id,
                language,
                CourseTranslationIn(title=title, subtitle=subtitle),
            )
        await _publish(session, owner, admin, course.id)
        await api.set_rating(session, course.id, Decimal(spec.rating[0]), spec.rating[1])
        await api.set_enrollment_count(session, course.id, spec.enrollments)
    return True


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """Categories, 14 published courses and the Python track, by the demo instructors."""
    del settings
    await seed_demo(
        session,
        instructor_ids=[
            state.user_ids["ada@campus.example"],
            state.user_ids["alan@campus.example"],
        ],
        reviewer_id=state.user_ids["admin@campus.example"],
    )
