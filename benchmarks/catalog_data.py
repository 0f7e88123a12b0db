"""Large catalog data sets for the catalog benchmark, loaded fast with bulk inserts.

Rows go straight into the catalog tables (SQLAlchemy Core ``insert`` executed with many
parameter sets, one transaction per batch of courses) and look like what the service writes
when a course is approved: ``status = 'published'``, one published version (number 1) that is
the course's current version, its aggregates copied onto the course, instructors linked, tags
linked, and a search document built with the catalog's own normalisation
(``campus.catalog.text.search_text``, exactly as ``service.search.reindex`` does). On
PostgreSQL the stored tsvector is computed by the database from that document, as in the app.

Every course gets a small curriculum; the first ``detail_courses`` courses (the most popular,
and the ones the benchmark opens) get ``modules`` x ``lessons``. Five instructors are created
through ``campus.identity.api.create_user`` (it takes a password, not a hash, so five Argon2id
hashes are computed; that is well under a second).

    campus seed-catalog-bench --courses 10000 [--modules 10 --lessons 10 --detail-courses 20]
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from campus.catalog.models import (
    Category,
    Course,
    CourseInstructor,
    CourseSearchDocument,
    CourseTag,
    CourseVersion,
    Lesson,
    Module,
    Tag,
)
from campus.catalog.text import label_key, search_text, slugify, title_sort_key, with_suffix
from campus.identity.api import create_user, find_user_ids_by_emails, set_instructor_profile
from campus.identity.data import INSTRUCTOR
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id

#: Courses per transaction (with all their rows: versions, links, modules, lessons, search).
BATCH_COURSES = 2000
#: The curriculum of every course that is not a detail course.
SMALL_MODULES = 1
SMALL_LESSONS = 3
INSTRUCTOR_PASSWORD = "bench instructor password 42!"

LEVELS = ("beginner", "intermediate", "advanced")
#: Course languages and their weights (most of the catalog is English).
LANGUAGES = (("en", 60), ("es", 15), ("pt-BR", 10), ("de", 8), ("fr", 7))
PRICES_USD_CENTS = (0, 999, 1499, 1999, 2499, 2999, 3999, 4999, 6999, 8999, 12999, 19999)

CATEGORY_TREE: dict[str, list[str]] = {
    "Development": ["Web Development", "Mobile Apps", "Programming Languages", "Game Development"],
    "Data Science": ["Machine Learning", "Data Analysis", "Statistics", "Data Engineering"],
    "IT & Software": ["Cloud Computing", "Networking", "Security", "Operating Systems"],
    "Business": ["Entrepreneurship", "Management", "Finance", "Marketing"],
    "Design": ["Graphic Design", "User Experience", "Web Design"],
    "Personal Development": ["Productivity", "Communication", "Leadership"],
}

TOPICS = (
    "Python", "JavaScript", "TypeScript", "Rust", "Go", "Kotlin", "Swift", "Java", "Haskell",
    "Elixir", "React", "Vue", "Angular", "Django", "FastAPI", "Flask", "Spring", "Node",
    "PostgreSQL", "SQLite", "Redis", "Kafka", "Docker", "Kubernetes", "Terraform", "Linux",
    "Networking", "Cryptography", "Statistics", "Algebra", "Calculus", "Pandas", "NumPy",
    "PyTorch", "TensorFlow", "Spark", "Excel", "Photoshop", "Figma", "Blender", "Unity",
    "Accounting", "Marketing", "Negotiation", "Leadership", "Writing", "Photography",
    "Café Culture", "Español", "Français",
)  # fmt: skip
SUBJECTS = (
    "Fundamentals", "Web Applications", "Data Analysis", "Machine Learning", "Testing",
    "Performance", "Security", "Design Patterns", "Concurrency", "APIs", "Automation",
    "Visualization", "Deployment", "Architecture", "Debugging", "Best Practices",
)  # fmt: skip
ADJECTIVES = (
    "Practical", "Complete", "Modern", "Advanced", "Hands-on", "Essential", "Applied",
    "Professional", "Intensive", "Gentle", "Rapid", "Deep", "Real-World", "Effective",
)  # fmt: skip
TAG_LABELS = tuple(
    dict.fromkeys([*TOPICS, *SUBJECTS, "Beginner Friendly", "Projects", "Certificate", "Career"])
)
LESSON_TYPES = ("video", "video", "video", "article", "code_example")

Progress = Callable[[str, int], None]


@dataclass
class SeedSummary:
    courses: int = 0
    modules: int = 0
    lessons: int = 0
    detail_slugs: list[str] = field(default_factory=list)
    instructors: list[uuid.UUID] = field(default_factory=list)


def _weighted_language(rng: random.Random) -> str:
    total = sum(w for _, w in LANGUAGES)
    pick = rng.uniform(0, total)
    for code, weight in LANGUAGES:
        pick -= weight
        if pick <= 0:
            return code
    return LANGUAGES[0][0]


async def _instructors(database_url: str) -> list[uuid.UUID]:
    """Five instructors created through identity's own API (idempotent by email)."""
    names = ("Lovelace", "Hopper", "Turing", "Knuth", "Liskov")
    people = [(f"bench.{name.lower()}@example.com", name) for name in names]
    db = Database(database_url, null_pool=True)
    try:
        async with db.session() as session:
            existing = await find_user_ids_by_emails(session, [email for email, _ in people])
            ids = []
            for email, last_name in people:
                user_id = existing.get(email)
                if user_id is None:
                    user_id = await create_user(
                        session,
                        email=email,
                        password=INSTRUCTOR_PASSWORD,
                        first_name="Bench",
                        last_name=last_name,
                        roles=(INSTRUCTOR,),
                        verified=True,
                    )
                    await set_instructor_profile(
                        session, user_id, headline="Benchmark instructor", expertise=["Bench"]
                    )
                ids.append(user_id)
    finally:
        await db.dispose()
    return ids


async def _taxonomy(conn: AsyncConnection) -> tuple[list[uuid.UUID], dict[str, uuid.UUID]]:
    """The category tree (leaf ids) and the tags (label → id); existing rows are reused."""
    now = utcnow()
    categories = Category.__table__
    found = {
        row.slug: row.id
        for row in await conn.execute(sa.select(categories.c.slug, categories.c.id))
    }
    rows: list[dict[str, Any]] = []
    leaves: list[uuid.UUID] = []
    for order, (root, children) in enumerate(CATEGORY_TREE.items()):
        root_slug = slugify(root, fallback="category")
        root_id = found.get(root_slug)
        if root_id is None:
            root_id = new_id()
            rows.append(_category(root_id, None, root, root_slug, order, now))
        for child_order, child in enumerate(children):
            slug = slugify(child, fallback="category")
            child_id = found.get(slug)
            if child_id is None:
                child_id = new_id()
                rows.append(_category(child_id, root_id, child, slug, child_order, now))
            leaves.append(child_id)
    if rows:
        await conn.execute(sa.insert(categories), rows)

    tags = Tag.__table__
    known = {row.key: row.id for row in await conn.execute(sa.select(tags.c.key, tags.c.id))}
    tag_rows = []
    tag_ids: dict[str, uuid.UUID] = {}
    for label in TAG_LABELS:
        key = label_key(label)
        tag_id = known.get(key)
        if tag_id is None:
            tag_id = new_id()
            tag_rows.append(
                {
                    "id": tag_id,
                    "slug": slugify(label, max_length=80, fallback="tag"),
                    "label": label,
                    "key": key,
                    "created_at": now,
                }
            )
        tag_ids[label] = tag_id
    if tag_rows:
        await conn.execute(sa.insert(tags), tag_rows)
    return leaves, tag_ids


def _category(
    cid: uuid.UUID, parent: uuid.UUID | None, name: str, slug: str, order: int, now: datetime
) -> dict[str, Any]:
    return {
        "id": cid,
        "parent_id": parent,
        "slug": slug,
        "name": name,
        "description": f"Courses about {name.lower()}.",
        "icon": None,
        "color": None,
        "sort_order": order,
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }


@dataclass
class _Batch:
    courses: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    instructors: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    search: list[dict[str, Any]] = field(default_factory=list)
    modules: list[dict[str, Any]] = field(default_factory=list)
    lessons: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> Sequence[tuple[sa.Table, list[dict[str, Any]]]]:
        # Parents first: versions and links reference courses, lessons reference modules.
        return [
            (_table(Course), self.courses),
            (_table(CourseVersion), self.versions),
            (_table(CourseInstructor), self.instructors),
            (_table(CourseTag), self.tags),
            (_table(CourseSearchDocument), self.search),
            (_table(Module), self.modules),
            (_table(Lesson), self.lessons),
        ]


def _table(model: type[Any]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def _curriculum(
    batch: _Batch,
    rng: random.Random,
    version_id: uuid.UUID,
    n_modules: int,
    n_lessons: int,
    now: datetime,
) -> int:
    """Modules and lessons of one version; returns the total duration in seconds."""
    duration = 0
    for m in range(n_modules):
        module_id = new_id()
        batch.modules.append(
            {
                "id": module_id,
                "lineage_id": module_id,
                "version_id": version_id,
                "position": m,
                "title": f"Module {m + 1}: {rng.choice(SUBJECTS)}",
                "description": "What this module covers, in a sentence or two.",
                "estimated_minutes": None,
                "is_locked": False,
                "is_sequential": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        for n in range(n_lessons):
            lesson_id = new_id()
            kind = rng.choice(LESSON_TYPES)
            video = kind == "video"
            seconds = rng.randint(180, 1200) if video else None
            minutes = None if video else rng.randint(5, 20)
            duration += seconds if seconds is not None else (minutes or 0) * 60
            batch.lessons.append(
                {
                    "id": lesson_id,
                    "module_id": module_id,
                    "version_id": version_id,
                    "lineage_id": lesson_id,
                    "position": n,
                    "title": f"Lesson {m + 1}.{n + 1}: {rng.choice(TOPICS)} {rng.choice(SUBJECTS)}",
                    "type": kind,
                    "status": "published",
                    "body": None if video else "A short article body for the benchmark. " * 8,
                    "content_urls": [],
                    "video_url": f"https://videos.example.com/{lesson_id}.mp4" if video else None,
                    "video_duration_seconds": seconds,
                    "presentation_url": None,
                    "attachments": [],
                    "quiz_id": None,
                    "assignment_id": None,
                    "is_preview": m == 0 and n == 0,
                    "is_required": True,
                    "estimated_minutes": minutes,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return duration


def _course(
    batch: _Batch,
    rng: random.Random,
    number: int,
    *,
    detail: bool,
    shape: tuple[int, int],
    leaves: list[uuid.UUID],
    tag_ids: dict[str, uuid.UUID],
    instructors: list[uuid.UUID],
    now: datetime,
) -> str:
    topic, subject = rng.choice(TOPICS), rng.choice(SUBJECTS)
    title = f"{rng.choice(ADJECTIVES)} {topic} {subject}"
    slug = with_suffix(slugify(title), number)
    subtitle = f"Learn {subject.lower()} with {topic} through real projects"
    description = (
        f"This course teaches {subject.lower()} in {topic}. You will build projects, "
        f"practise with exercises and finish with a capstone. Ideal for {rng.choice(LEVELS)} "
        "learners who want practical, job-ready skills."
    )
    labels = list(dict.fromkeys([topic, subject, rng.choice(TAG_LABELS)]))
    course_id, version_id = new_id(), new_id()
    published_at = now - timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
    created_at = published_at - timedelta(days=rng.randint(1, 30))
    cents = rng.choice(PRICES_USD_CENTS)
    n_modules, n_lessons = shape
    duration = _curriculum(batch, rng, version_id, n_modules, n_lessons, published_at)
    # Detail courses are the most popular, so they also head the popularity sort.
    enrollments = 1_000_000 - number if detail else int(rng.paretovariate(1.2) * 50)
    rating_count = min(enrollments // 10, 50_000)
    batch.courses.append(
        {
            "id": course_id,
            "slug": slug,
            "title": title,
            "title_sort": title_sort_key(title),
            "subtitle": subtitle,
            "description": description,
            "category_id": rng.choice(leaves),
            "language": _weighted_language(rng),
            "level": rng.choice(LEVELS),
            "thumbnail_url": f"https://images.example.com/courses/{slug}.png",
            "trailer_url": None,
            "requirements": ["A computer", "Curiosity"],
            "objectives": [f"Use {topic} confidently", f"Apply {subject.lower()}"],
            "has_certificate": rng.random() < 0.5,
            "primary_instructor_id": instructors[number % len(instructors)],
            "is_free": cents == 0,
            "price_minor": cents,
            "currency": "USD",
            "price_sort": cents * 10,  # thousandths of a dollar (service.authoring.price_sort)
            "status": "published",
            "current_version_id": version_id,
            "draft_version_id": None,
            "published_at": published_at,
            "archived_at": None,
            "deleted_at": None,
            "duration_seconds": duration,
            "module_count": n_modules,
            "lesson_count": n_modules * n_lessons,
            "enrollment_count": enrollments,
            "rating_hundredths": rng.randint(300, 500) if rating_count else 0,
            "rating_count": rating_count,
            "track_slug": None,
            "track_name": None,
            "track_icon": None,
            "track_difficulty": None,
            "created_at": created_at,
            "updated_at": published_at,
        }
    )
    batch.versions.append(
        {
            "id": version_id,
            "course_id": course_id,
            "number": 1,
            "status": "published",
            "based_on_id": None,
            "changelog": None,
            "min_quiz_score": None,
            "submitted_at": published_at,
            "submitted_by": instructors[number % len(instructors)],
            "reviewed_at": published_at,
            "reviewed_by": None,
            "review_notes": None,
            "published_at": published_at,
            "duration_seconds": duration,
            "module_count": n_modules,
            "lesson_count": n_modules * n_lessons,
            "created_at": created_at,
            "updated_at": published_at,
        }
    )
    batch.instructors.append(
        {
            "course_id": course_id,
            "user_id": instructors[number % len(instructors)],
            "is_primary": True,
            "position": 0,
        }
    )
    batch.tags.extend(
        {"course_id": course_id, "tag_id": tag_ids[label], "position": i}
        for i, label in enumerate(labels)
    )
    # Exactly service.search.reindex: title, tags and track in the headline; subtitle and
    # description in the body; both folded by the catalog's own search_text.
    batch.search.append(
        {
            "course_id": course_id,
            "headline": search_text(title, *labels, None),
            "body": search_text(subtitle, description),
            "updated_at": published_at,
        }
    )
    return slug


async def seed_catalog(
    database_url: str,
    *,
    courses: int,
    modules: int = 10,
    lessons: int = 10,
    detail_courses: int = 20,
    seed: int = 20261122,
    progress: Progress | None = None,
) -> SeedSummary:
    """Load ``courses`` published courses; ``progress(stage, n)`` reports rows as they land."""
    summary = SeedSummary(instructors=await _instructors(database_url))
    rng = random.Random(seed)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            leaves, tag_ids = await _taxonomy(conn)
            # Slugs stay unique when seeding an already seeded database again.
            start = int(await conn.scalar(sa.select(sa.func.count()).select_from(_table(Course))))
        done = 0
        while done < courses:
            batch = _Batch()
            now = utcnow()
            size = min(BATCH_COURSES, courses - done)
            for k in range(done, done + size):
                detail = k < detail_courses
                slug = _course(
                    batch,
                    rng,
                    start + k + 1,
                    detail=detail,
                    shape=(modules, lessons) if detail else (SMALL_MODULES, SMALL_LESSONS),
                    leaves=leaves,
                    tag_ids=tag_ids,
                    instructors=summary.instructors,
                    now=now,
                )
                if detail:
                    summary.detail_slugs.append(slug)
            async with engine.begin() as conn:  # one transaction per batch
                for table, rows in batch.tables():
                    if rows:
                        await conn.execute(sa.insert(table), rows)
            done += size
            summary.courses += size
            summary.modules += len(batch.modules)
            summary.lessons += len(batch.lessons)
            if progress is not None:
                progress("courses", size)
        if engine.dialect.name == "postgresql":
            if progress is not None:
                progress("vacuum", 0)
            async with engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(sa.text("VACUUM ANALYZE"))
                # Write the loaded pages out now, not during the measurement: a checkpoint
                # flushing hundreds of MB competes with the server for the same two cores.
                await autocommit.execute(sa.text("CHECKPOINT"))
    finally:
        await engine.dispose()
    return summary


def run_with_progress(
    database_url: str, *, courses: int, modules: int, lessons: int, detail_courses: int
) -> SeedSummary:
    """``seed_catalog`` behind a Rich progress bar (the ``campus seed-catalog-bench`` body)."""
    import asyncio

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("Seeding courses", total=courses)

        def report(stage: str, n: int) -> None:
            if stage == "vacuum":
                bar.update(task, description="VACUUM ANALYZE")
            else:
                bar.advance(task, n)

        return asyncio.run(
            seed_catalog(
                database_url,
                courses=courses,
                modules=modules,
                lessons=lessons,
                detail_courses=detail_courses,
                progress=report,
            )
        )
