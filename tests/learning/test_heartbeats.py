"""Video heartbeats cannot forge completion: watched time is bounded by wall time (plus a small
tolerance that cannot be claimed twice), capped at the duration, monotonic, and only counts for
the caller's own lessons of courses they are enrolled in."""

from __future__ import annotations

import uuid

from campus.kernel.clock import clock
from tests.fixtures.catalog import ok
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import Course, LearningFactory, ModuleSpec, text, video


async def _video_course(learning: LearningFactory, seconds: int = 600) -> tuple[Course, AppUser]:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([video(seconds), text()])])
    await learning.enroll(cast.student, course)
    return course, cast.student


async def test_a_heartbeat_cannot_claim_more_than_the_wall_time_since_the_last_one(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning)
    lesson = course.lesson_id(0, 0)
    ok(await learning.start(student, lesson))
    forged = ok(await learning.heartbeat(student, lesson, 590, 3600))
    assert forged["watchedSeconds"] == 5  # the tolerance only
    assert forged["completed"] is False
    clock.advance(seconds=10)
    honest = ok(await learning.heartbeat(student, lesson, 20, 3600))
    assert honest["watchedSeconds"] == 15  # 10 s of wall time; the tolerance was spent


async def test_firing_heartbeats_quickly_does_not_add_up_the_tolerance(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning)
    lesson = course.lesson_id(0, 0)
    ok(await learning.start(student, lesson))
    totals = [
        ok(await learning.heartbeat(student, lesson, 10, 10))["watchedSeconds"] for _ in range(50)
    ]
    assert totals[-1] == 5
    assert totals == sorted(totals)


async def test_positions_beyond_the_duration_are_capped_and_credit_nothing(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning, seconds=100)
    lesson = course.lesson_id(0, 0)
    ok(await learning.start(student, lesson))
    clock.advance(seconds=10)
    beat = ok(await learning.heartbeat(student, lesson, 86_400, 0))
    assert (beat["positionSeconds"], beat["watchedSeconds"], beat["completed"]) == (100, 0, False)
    for bad in (
        {"positionSeconds": -1, "watchedSeconds": 1},
        {"positionSeconds": 1, "watchedSeconds": 99_999},
    ):
        response = await learning.client.post(
            f"/api/v1/learn/lessons/{lesson}/heartbeat", json=bad, headers=student.headers
        )
        assert response.status_code == 422
    forged_fields = await learning.client.post(
        f"/api/v1/learn/lessons/{lesson}/heartbeat",
        json={"positionSeconds": 1, "watchedSeconds": 1, "completed": True},
        headers=student.headers,
    )
    assert forged_fields.status_code == 422


async def test_watched_time_is_monotonic_and_capped_at_the_duration(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning, seconds=100)
    lesson = course.lesson_id(0, 0)
    ok(await learning.start(student, lesson))
    clock.advance(seconds=50)
    assert ok(await learning.heartbeat(student, lesson, 50, 50))["watchedSeconds"] == 50
    clock.advance(seconds=10)
    rewound = ok(await learning.heartbeat(student, lesson, 5, 0))
    assert (rewound["watchedSeconds"], rewound["positionSeconds"]) == (50, 5)
    clock.advance(minutes=10)
    capped = ok(await learning.heartbeat(student, lesson, 100, 3600))
    assert (capped["watchedSeconds"], capped["completed"]) == (100, True)


async def test_heartbeats_need_a_started_video_lesson_of_an_enrolled_course(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning)
    lesson = course.lesson_id(0, 0)
    not_started = await learning.heartbeat(student, lesson, 1, 1)
    assert (not_started.status_code, not_started.json()["error"]["code"]) == (
        409,
        "lesson_not_started",
    )
    not_video = await learning.heartbeat(student, course.lesson_id(0, 1), 1, 1)
    assert (not_video.status_code, not_video.json()["error"]["code"]) == (409, "not_a_video_lesson")
    unknown = await learning.heartbeat(student, str(uuid.uuid4()), 1, 1)
    assert unknown.status_code == 404

    cast = await learning.cast()
    other_course = await learning.course(cast.owner, cast.admin, [ModuleSpec([video(100)])])
    foreign = await learning.heartbeat(student, other_course.lesson_id(0, 0), 1, 1)
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "enrollment_required")
    started = await learning.start(student, other_course.lesson_id(0, 0))
    assert started.status_code == 403
    assert await learning.event_names("learning.lesson") == []


async def test_another_learners_heartbeats_never_touch_my_progress(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning, seconds=100)
    lesson = course.lesson_id(0, 0)
    other = await learning.learner("Mallory")
    await learning.enroll(other, course)
    ok(await learning.start(student, lesson))
    ok(await learning.start(other, lesson))
    clock.advance(minutes=10)
    assert ok(await learning.heartbeat(other, lesson, 100, 3600))["completed"] is True
    mine = ok(await learning.open(student, lesson))["progress"]
    assert (mine["watchedSeconds"], mine["status"]) == (0, "in_progress")


async def test_a_pause_gives_back_the_wall_time_it_took(
    learning: LearningFactory, frozen_clock: object
) -> None:
    course, student = await _video_course(learning, seconds=600)
    lesson = course.lesson_id(0, 0)
    ok(await learning.start(student, lesson))
    clock.advance(seconds=300)  # the learner watched offline, the heartbeats were lost
    assert ok(await learning.heartbeat(student, lesson, 300, 300))["watchedSeconds"] == 300
