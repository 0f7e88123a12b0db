"""The pure rules over a curriculum: locks, seed 003's progress formula, the next lesson."""

from __future__ import annotations

import uuid

from campus.catalog.data import (
    LessonOutline,
    LessonType,
    ModuleOutline,
    VersionStatus,
    VersionStructure,
)
from campus.learning.data import LockReason, ProgressStatus
from campus.learning.service.curricula import Curriculum, percent


def lesson(module: uuid.UUID, position: int, *, required: bool = True) -> LessonOutline:
    return LessonOutline(
        id=uuid.uuid4(),
        lineage_id=uuid.uuid4(),
        module_id=module,
        position=position,
        title=f"L{position}",
        type=LessonType.ARTICLE,
        duration_seconds=60,
        estimated_minutes=1,
        is_required=required,
        is_preview=False,
        quiz_id=None,
        assignment_id=None,
    )


def module(
    position: int, required: list[bool], *, locked: bool = False, sequential: bool = False
) -> ModuleOutline:
    module_id = uuid.uuid4()
    return ModuleOutline(
        id=module_id,
        lineage_id=uuid.uuid4(),
        position=position,
        title=f"M{position}",
        description=None,
        estimated_minutes=None,
        is_locked=locked,
        is_sequential=sequential,
        lessons=tuple(lesson(module_id, i, required=r) for i, r in enumerate(required)),
    )


def curriculum(*modules: ModuleOutline) -> Curriculum:
    return Curriculum(
        VersionStructure(
            id=uuid.uuid4(),
            course_id=uuid.uuid4(),
            number=1,
            status=VersionStatus.PUBLISHED,
            is_current=True,
            published_at=None,
            changelog=None,
            min_quiz_score_for_certificate=None,
            modules=modules,
        )
    )


def test_percent_is_floored_so_that_one_hundred_means_done() -> None:
    assert [percent(n, 3) for n in range(4)] == [0, 33, 66, 100]
    assert percent(0, 0) == 0


def test_figures_count_required_lessons_per_module_and_course() -> None:
    c = curriculum(module(0, [True, False, True]), module(1, [True]))
    first, optional, _third = c.modules[0].lessons
    done = {first.lineage_id, optional.lineage_id}
    figures = c.figures(done, started=done)
    assert (figures.completed, figures.total, figures.percent) == (1, 3, 33)
    m1, m2 = figures.modules
    assert (m1.completed, m1.total, m1.percent, m1.status) == (1, 2, 50, ProgressStatus.IN_PROGRESS)
    assert (m2.status, m2.percent) == (ProgressStatus.NOT_STARTED, 0)
    all_done = c.figures({x.lineage_id for x in c.lessons if x.is_required}, started=set())
    assert all_done.all_done
    assert all(m.status is ProgressStatus.COMPLETED for m in all_done.modules)


def test_a_sequential_module_blocks_on_the_first_unfinished_required_lesson() -> None:
    c = curriculum(module(0, [True, False, True, True], sequential=True))
    a, optional, b, last = c.modules[0].lessons
    assert c.lock_of(a, set()) is None
    lock = c.lock_of(last, set())
    assert lock is not None
    assert (lock.reason, lock.blocking_lesson_id) == (LockReason.PREVIOUS_LESSON_INCOMPLETE, a.id)
    assert c.lock_of(b, {a.lineage_id}) is None  # the optional lesson never blocks
    assert c.lock_of(optional, {a.lineage_id}) is None
    lock = c.lock_of(last, {a.lineage_id})
    assert lock is not None
    assert lock.blocking_lesson_id == b.id


def test_a_locked_module_waits_for_the_previous_module() -> None:
    c = curriculum(module(0, [True, True]), module(1, [True], locked=True))
    a, b = c.modules[0].lessons
    (gated,) = c.modules[1].lessons
    lock = c.lock_of(gated, {b.lineage_id})
    assert lock is not None
    assert (lock.reason, lock.blocking_lesson_id, lock.blocking_module_id) == (
        LockReason.PREVIOUS_MODULE_INCOMPLETE,
        a.id,
        c.modules[0].id,
    )
    assert c.lock_of(gated, {a.lineage_id, b.lineage_id}) is None
    first_module_locked = curriculum(module(0, [True], locked=True))
    assert first_module_locked.lock_of(first_module_locked.lessons[0], set()) is None


def test_the_next_lesson_resumes_then_takes_the_first_open_required_one() -> None:
    c = curriculum(module(0, [True, False]), module(1, [True], locked=True))
    a, optional = c.modules[0].lessons
    (gated,) = c.modules[1].lessons
    assert c.next_lesson(set(), None) == (a, "next")
    assert c.next_lesson(set(), optional.lineage_id) == (optional, "resume")
    assert c.next_lesson({a.lineage_id}, a.lineage_id) == (gated, "next")
    assert c.next_lesson({a.lineage_id, gated.lineage_id}, None) == (optional, "next")
    assert c.next_lesson({x.lineage_id for x in c.lessons}, None) == (None, "completed")
    assert c.next_lesson(set(), gated.lineage_id) == (a, "next")  # a locked resume point
