"""Version pinning: a new version changes nothing for learners of the old one (structure,
completion); new learners get the new one; an upgrade keeps progress matched by lineage."""

from __future__ import annotations

from httpx import AsyncClient

from tests.fixtures.catalog import API, ok
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import Course, LearningFactory, ModuleSpec, text


async def _publish_v2_with_a_new_lesson(
    learning: LearningFactory, course: Course, owner: AppUser, admin: AppUser
) -> Course:
    await learning.add_lesson(owner, course.id, course.modules[0]["id"], text(title="New in v2"))
    await learning.catalog.publish(owner, admin, course.id)
    return await learning.refresh(course, owner)


async def test_a_new_version_leaves_earlier_learners_structure_and_completion_alone(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    v1 = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    finisher = await learning.learner("Fin")
    finished = await learning.enroll(finisher, v1)
    for i in range(2):
        ok(await learning.complete(finisher, v1.lesson_id(0, i)))
    midway = await learning.enroll(cast.student, v1)
    ok(await learning.complete(cast.student, v1.lesson_id(0, 0)))

    v2 = await _publish_v2_with_a_new_lesson(learning, v1, cast.owner, cast.admin)
    assert v2.version_id != v1.version_id
    new_lesson = v2.lesson(0, 2)
    assert new_lesson["title"] == "New in v2"

    done = await learning.enrollment(finisher, finished["id"])
    assert (done["status"], done["versionId"], done["progressPercent"]) == (
        "completed",
        v1.version_id,
        100,
    )
    outline = await learning.progress(cast.student, midway["id"])
    assert outline["upgradeAvailable"] is True
    assert [x["title"] for x in outline["modules"][0]["lessons"]] == ["Lesson 1.1", "Lesson 1.2"]
    refused = await learning.open(cast.student, new_lesson["id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        403,
        "lesson_not_in_enrolled_version",
    )
    # A v2 id of a lesson v1 also has opens the learner's own (v1) lesson.
    same = ok(await learning.open(cast.student, v2.lesson_id(0, 1)))
    assert (same["id"], same["versionId"]) == (v1.lesson_id(0, 1), v1.version_id)

    newcomer = await learning.learner("Neo")
    fresh = await learning.enroll(newcomer, v2)
    assert (fresh["versionId"], fresh["totalItems"]) == (v2.version_id, 3)
    names = await learning.event_names()
    assert names.count("learning.course_completed") == 1


async def test_upgrading_moves_to_the_current_version_and_keeps_progress_by_lineage(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    v1 = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    enrollment = await learning.enroll(cast.student, v1)
    ok(await learning.complete(cast.student, v1.lesson_id(0, 0)))
    ok(await learning.complete(cast.student, v1.lesson_id(0, 1)))
    assert (await learning.enrollment(cast.student, enrollment["id"]))["status"] == "completed"

    v2 = await _publish_v2_with_a_new_lesson(learning, v1, cast.owner, cast.admin)
    url = f"{API}/enrollments/{enrollment['id']}/upgrade"
    assert (await client.post(url, headers=cast.other.headers)).status_code == 404
    assert (await client.post(url, headers=cast.owner.headers)).status_code == 403
    moved = ok(await client.post(url, headers=cast.student.headers))
    assert moved["versionId"] == v2.version_id
    assert (moved["completedItems"], moved["totalItems"], moved["progressPercent"]) == (2, 3, 66)
    # Status is measured against the new version's required items: not "completed" at 66 %.
    assert (moved["status"], moved["completedAt"]) == ("active", None)
    again = await client.post(url, headers=cast.student.headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_on_current_version")

    outline = await learning.progress(cast.student, enrollment["id"])
    assert outline["upgradeAvailable"] is False
    assert outline["versionNumber"] == 2
    statuses = [x["status"] for x in outline["modules"][0]["lessons"]]
    assert statuses == ["completed", "completed", "not_started"]
    ok(await learning.complete(cast.student, v2.lesson(0, 2)["id"]))
    final = await learning.enrollment(cast.student, enrollment["id"])
    assert (final["progressPercent"], final["status"]) == (100, "completed")
    # Completed once per version: v1, then v2 after the upgrade.
    completions = [p for n, p in await learning.events() if n == "learning.course_completed"]
    assert [p["versionId"] for p in completions] == [v1.version_id, v2.version_id]


async def test_an_upgrade_to_a_version_the_learner_has_done_keeps_the_completion(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    v1 = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    enrollment = await learning.enroll(cast.student, v1)
    for i in range(2):
        ok(await learning.complete(cast.student, v1.lesson_id(0, i)))
    # v2 adds an optional lesson only: the required items are all done.
    await learning.add_lesson(
        cast.owner, v1.id, v1.modules[0]["id"], text(title="Extra", required=False)
    )
    await learning.catalog.publish(cast.owner, cast.admin, v1.id)
    url = f"{API}/enrollments/{enrollment['id']}/upgrade"
    moved = ok(await client.post(url, headers=cast.student.headers))
    assert (moved["status"], moved["progressPercent"]) == ("completed", 100)
    assert moved["completedAt"] is not None
    assert (await learning.event_names()).count("learning.course_completed") == 1


async def test_an_active_learner_who_upgrades_completes_on_the_new_version(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    v1 = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    enrollment = await learning.enroll(cast.student, v1)
    ok(await learning.complete(cast.student, v1.lesson_id(0, 0)))
    v2 = await _publish_v2_with_a_new_lesson(learning, v1, cast.owner, cast.admin)
    ok(
        await client.post(
            f"{API}/enrollments/{enrollment['id']}/upgrade", headers=cast.student.headers
        )
    )
    ok(await learning.complete(cast.student, v2.lesson_id(0, 1)))
    ok(await learning.complete(cast.student, v2.lesson_id(0, 2)))
    final = await learning.enrollment(cast.student, enrollment["id"])
    assert (final["status"], final["completedItems"], final["totalItems"]) == ("completed", 3, 3)
    completed = dict(await learning.events("learning.course_completed"))
    assert completed["learning.course_completed"]["versionId"] == v2.version_id
