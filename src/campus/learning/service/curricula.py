"""The curricula learners are pinned to, and the pure rules computed over them.

Published versions never change (catalog ADR 0006), so their structures are cached in process
(bounded LRU): a heartbeat or a dashboard costs no catalog query once the version was seen.
Only published versions are cached; drafts always come fresh from ``catalog.api``.

The rules (locks, progress figures, the next lesson) are plain functions of a ``Curriculum``
and the set of completed lesson lineages, so they are tested without a database.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import (
    LessonOutline,
    LessonType,
    ModuleOutline,
    VersionStatus,
    VersionStructure,
)
from campus.learning.data import LockReason, ProgressStatus

#: Lesson types completed by the assessment context's events, never by the learner directly.
ASSESSED_TYPES = frozenset({LessonType.QUIZ, LessonType.ASSIGNMENT})


@dataclass(frozen=True)
class Curriculum:
    """A version's structure with the indexes the rules need."""

    structure: VersionStructure
    lessons: tuple[LessonOutline, ...] = field(init=False)
    _by_id: dict[uuid.UUID, LessonOutline] = field(init=False, repr=False)
    _by_lineage: dict[uuid.UUID, LessonOutline] = field(init=False, repr=False)
    _module_of: dict[uuid.UUID, ModuleOutline] = field(init=False, repr=False)
    _module_index: dict[uuid.UUID, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lessons = self.structure.lessons
        object.__setattr__(self, "lessons", lessons)
        object.__setattr__(self, "_by_id", {x.id: x for x in lessons})
        object.__setattr__(self, "_by_lineage", {x.lineage_id: x for x in lessons})
        object.__setattr__(
            self, "_module_of", {x.id: m for m in self.structure.modules for x in m.lessons}
        )
        object.__setattr__(
            self, "_module_index", {m.id: i for i, m in enumerate(self.structure.modules)}
        )

    @property
    def id(self) -> uuid.UUID:
        return self.structure.id

    @property
    def course_id(self) -> uuid.UUID:
        return self.structure.course_id

    @property
    def modules(self) -> tuple[ModuleOutline, ...]:
        return self.structure.modules

    def lesson(self, lesson_id: uuid.UUID) -> LessonOutline | None:
        return self._by_id.get(lesson_id)

    def by_lineage(self, lineage_id: uuid.UUID) -> LessonOutline | None:
        return self._by_lineage.get(lineage_id)

    def module_of(self, lesson: LessonOutline) -> ModuleOutline:
        return self._module_of[lesson.id]

    def required(self) -> list[LessonOutline]:
        return [x for x in self.lessons if x.is_required]

    def lessons_with(
        self, *, quiz_id: uuid.UUID | None = None, assignment_id: uuid.UUID | None = None
    ) -> list[LessonOutline]:
        return [
            x
            for x in self.lessons
            if (quiz_id is not None and x.quiz_id == quiz_id)
            or (assignment_id is not None and x.assignment_id == assignment_id)
        ]

    # ------------------------------------------------------------------ rules

    def lock_of(self, lesson: LessonOutline, done: Collection[uuid.UUID]) -> Lock | None:
        """Why ``lesson`` is closed, or ``None`` when it is open. A locked module opens when
        every required lesson of the previous module is done; in a sequential module a lesson
        opens when every required lesson before it is done. ``done``: completed lineages."""
        module = self.module_of(lesson)
        index = self._module_index[module.id]
        if module.is_locked and index > 0:
            previous = self.modules[index - 1]
            blocking = _first_open(previous.lessons, done)
            if blocking is not None:
                return Lock(LockReason.PREVIOUS_MODULE_INCOMPLETE, blocking.id, previous.id)
        if module.is_sequential:
            before = [x for x in module.lessons if x.position < lesson.position]
            blocking = _first_open(before, done)
            if blocking is not None:
                return Lock(LockReason.PREVIOUS_LESSON_INCOMPLETE, blocking.id, module.id)
        return None

    def figures(self, done: Collection[uuid.UUID], started: Collection[uuid.UUID]) -> CourseFigures:
        """Seed 003 "Calculate Module Progress": items are the required lessons (quiz and
        assignment lessons count once their event arrived); percent is floored, so 100 means
        every item is done."""
        modules = []
        for module in self.modules:
            required = [x for x in module.lessons if x.is_required]
            completed = sum(1 for x in required if x.lineage_id in done)
            touched = any(x.lineage_id in started or x.lineage_id in done for x in module.lessons)
            if required and completed == len(required):
                status = ProgressStatus.COMPLETED
            elif touched:
                status = ProgressStatus.IN_PROGRESS
            else:
                status = ProgressStatus.NOT_STARTED
            modules.append(
                ModuleFigures(
                    module, completed, len(required), percent(completed, len(required)), status
                )
            )
        total = sum(m.total for m in modules)
        completed = sum(m.completed for m in modules)
        return CourseFigures(completed, total, percent(completed, total), tuple(modules))

    def next_lesson(
        self, done: Collection[uuid.UUID], resume_lineage: uuid.UUID | None
    ) -> tuple[LessonOutline | None, str]:
        """Where to continue: the lesson opened last if it is unfinished and open, else the first
        open required lesson not done, else the first open optional one; ``None`` when all is
        done. Returns the lesson and why (``resume``, ``next``, ``completed``)."""
        if resume_lineage is not None:
            last = self.by_lineage(resume_lineage)
            if last is not None and last.lineage_id not in done and not self.lock_of(last, done):
                return last, "resume"
        for wanted in (True, False):
            for lesson in self.lessons:
                if lesson.is_required is not wanted or lesson.lineage_id in done:
                    continue
                if self.lock_of(lesson, done) is None:
                    return lesson, "next"
        return None, "completed"


@dataclass(frozen=True, slots=True)
class Lock:
    reason: LockReason
    blocking_lesson_id: uuid.UUID
    blocking_module_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ModuleFigures:
    module: ModuleOutline
    completed: int
    total: int
    percent: int
    status: ProgressStatus


@dataclass(frozen=True, slots=True)
class CourseFigures:
    completed: int
    total: int
    percent: int
    modules: tuple[ModuleFigures, ...]

    @property
    def all_done(self) -> bool:
        return self.total > 0 and self.completed == self.total


def percent(completed: int, total: int) -> int:
    return 0 if total == 0 else completed * 100 // total


def _first_open(
    lessons: Iterable[LessonOutline], done: Collection[uuid.UUID]
) -> LessonOutline | None:
    return next((x for x in lessons if x.is_required and x.lineage_id not in done), None)


# --------------------------------------------------------------------------- the cache


class _Cache:
    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.versions: OrderedDict[uuid.UUID, Curriculum] = OrderedDict()
        #: lesson row id -> version id, for the lessons of cached versions.
        self.lesson_versions: dict[uuid.UUID, uuid.UUID] = {}

    def get(self, version_id: uuid.UUID) -> Curriculum | None:
        found = self.versions.get(version_id)
        if found is not None:
            self.versions.move_to_end(version_id)
        return found

    def put(self, curriculum: Curriculum) -> None:
        if curriculum.structure.status is not VersionStatus.PUBLISHED:
            return
        self.versions[curriculum.id] = curriculum
        self.versions.move_to_end(curriculum.id)
        for lesson in curriculum.lessons:
            self.lesson_versions[lesson.id] = curriculum.id
        while len(self.versions) > self.size:
            _, evicted = self.versions.popitem(last=False)
            for lesson in evicted.lessons:
                self.lesson_versions.pop(lesson.id, None)

    def clear(self) -> None:
        self.versions.clear()
        self.lesson_versions.clear()


_cache = _Cache()


def clear_cache() -> None:
    """Forget every cached curriculum (tests measuring query counts start cold)."""
    _cache.clear()


def configure_cache(size: int) -> None:
    _cache.size = max(1, size)


async def curricula(
    session: AsyncSession, version_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Curriculum]:
    """The curricula of ``version_ids`` (missing ones loaded in one batch)."""
    found: dict[uuid.UUID, Curriculum] = {}
    missing = []
    for version_id in set(version_ids):
        cached = _cache.get(version_id)
        if cached is None:
            missing.append(version_id)
        else:
            found[version_id] = cached
    if missing:
        loaded = await catalog.get_version_structures(session, missing)
        for version_id, structure in loaded.items():
            curriculum = Curriculum(structure)
            _cache.put(curriculum)
            found[version_id] = curriculum
    return found


async def curriculum(session: AsyncSession, version_id: uuid.UUID) -> Curriculum | None:
    return (await curricula(session, [version_id])).get(version_id)


async def lesson_home(
    session: AsyncSession, lesson_id: uuid.UUID
) -> tuple[Curriculum, LessonOutline] | None:
    """The version holding lesson ``lesson_id`` (a row id) and the lesson's outline; ``None``
    for unknown lessons and lessons hidden from learners (drafts)."""
    version_id = _cache.lesson_versions.get(lesson_id)
    if version_id is None:
        content = await catalog.get_lesson_content(session, lesson_id)
        if content is None:
            return None
        version_id = content.version_id
    found = await curriculum(session, version_id)
    if found is None:
        return None
    lesson = found.lesson(lesson_id)
    return None if lesson is None else (found, lesson)
