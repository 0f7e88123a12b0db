"""``campus learning recount``: the catalog's enrollment counts recomputed from the enrollments,
through the real command against the test database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from campus.catalog import api as catalog_api
from campus.cli import app as cli
from campus.config import get_settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.catalog import API, ok
from tests.fixtures.learning import Course, LearningFactory


@pytest.fixture
def cli_settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The command's settings point at the test database."""
    monkeypatch.setenv("CAMPUS_DATABASE_URL", database_url)
    monkeypatch.setenv("CAMPUS_DATA_DIR", str(tmp_path_factory.mktemp("cli-data")))
    monkeypatch.setenv("CAMPUS_ENV", "development")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def campus(*args: str) -> Result:
    """Run the command in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def _tamper(db: Database, course: Course, count: int) -> None:
    async with db.session() as session:
        await catalog_api.set_enrollment_count(session, uuid.UUID(course.id), count)


async def test_recount_corrects_every_wrong_course_count_and_leaves_right_ones(
    learning: LearningFactory, relay: Relay, db: Database, cli_settings: None
) -> None:
    cast = await learning.cast()
    courses = [await learning.course(cast.owner, cast.admin, title=f"C{i}") for i in range(3)]
    for i, course in enumerate(courses):
        for n in range(i + 1):
            await learning.enroll(await learning.learner("Lena" + "abc"[n]), course)
    await relay.drain()
    truth = [1, 2, 3]
    assert [await learning.enrollment_count_on_course(c.id) for c in courses] == truth
    await _tamper(db, courses[0], 40)
    await _tamper(db, courses[2], 0)

    result = await campus("learning", "recount", "--batch-size", "2")

    assert result.exit_code == 0, result.output
    assert "Recounted 3 course(s); 2 corrected." in result.output
    assert f"{courses[0].id}: 40 -> 1" in result.output
    assert courses[1].id not in result.output
    assert [await learning.enrollment_count_on_course(c.id) for c in courses] == truth
    again = await campus("learning", "recount")
    assert "Recounted 3 course(s); 0 corrected." in again.output


async def test_recount_of_one_course_by_slug_or_id_fixes_only_that_course(
    learning: LearningFactory, relay: Relay, db: Database, cli_settings: None
) -> None:
    cast = await learning.cast()
    first = await learning.course(cast.owner, cast.admin, title="Recount me")
    other = await learning.course(cast.owner, cast.admin, title="Leave me")
    await learning.enroll(cast.student, first)
    await learning.enroll(cast.student, other)
    await relay.drain()
    await _tamper(db, first, 7)
    await _tamper(db, other, 9)
    slug = ok(await learning.client.get(f"{API}/courses/{first.id}"))["slug"]

    by_slug = await campus("learning", "recount", "--course", slug)

    assert by_slug.exit_code == 0, by_slug.output
    assert "Recounted 1 course(s); 1 corrected." in by_slug.output
    assert await learning.enrollment_count_on_course(first.id) == 1
    assert await learning.enrollment_count_on_course(other.id) == 9
    by_id = await campus("learning", "recount", "--course", other.id)
    assert "Recounted 1 course(s); 1 corrected." in by_id.output
    assert await learning.enrollment_count_on_course(other.id) == 1


async def test_recount_sets_a_course_without_learners_back_to_zero(
    learning: LearningFactory, db: Database, cli_settings: None
) -> None:
    cast = await learning.cast()
    empty = await learning.course(cast.owner, cast.admin)
    await _tamper(db, empty, 12)
    result = await campus("learning", "recount", "--course", empty.id)
    assert result.exit_code == 0, result.output
    assert f"{empty.id}: 12 -> 0" in result.output
    assert await learning.enrollment_count_on_course(empty.id) == 0


async def test_recount_of_every_course_also_reaches_stale_counts_of_courses_without_learners(
    learning: LearningFactory, relay: Relay, db: Database, cli_settings: None
) -> None:
    cast = await learning.cast()
    taught = await learning.course(cast.owner, cast.admin, title="Taught")
    empty = await learning.course(cast.owner, cast.admin, title="Empty")
    await learning.enroll(cast.student, taught)
    await relay.drain()
    await _tamper(db, taught, 5)
    await _tamper(db, empty, 12)

    result = await campus("learning", "recount", "--batch-size", "1")

    assert result.exit_code == 0, result.output
    assert "Recounted 2 course(s); 2 corrected." in result.output
    assert await learning.enrollment_count_on_course(taught.id) == 1
    assert await learning.enrollment_count_on_course(empty.id) == 0


async def test_recount_of_an_unknown_course_fails_with_a_clear_message_and_changes_nothing(
    learning: LearningFactory, relay: Relay, db: Database, cli_settings: None
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    await _tamper(db, course, 5)
    for ref in ("no-such-course", str(uuid.uuid4()), "%"):
        result = await campus("learning", "recount", "--course", ref)
        assert result.exit_code == 1, result.output
        assert "No course with the id or slug" in result.output
        assert repr(ref) in result.output
    assert await learning.enrollment_count_on_course(course.id) == 5
