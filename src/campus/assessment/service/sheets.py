"""Loading the questions of a quiz or an attempt ("sheets"), with a small per-process cache for
the synchronized exam start.

Starting an attempt needs the quiz's whole pool with options. Hundreds of learners start the
same quiz within seconds, so the pool is cached per process under the key
``(quiz id, quiz.revision)``: changing the quiz, its pool, a question of it or archiving one
bumps the quiz's ``revision`` (``repository.questions.touch_quizzes_of``), so a cached sheet
is never served after a change that committed before the start read the quiz row. Only
starting uses the cache, and only to show questions; grading always reads the keys fresh.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.models import Question, QuestionOption, QuestionTranslation, Quiz
from campus.assessment.repository import questions as questions_repo

CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class Sheet:
    """Questions with their options (two queries) and, when a language was asked for, their
    translations (one more). Treated as read-only."""

    questions: dict[uuid.UUID, Question]
    options: dict[uuid.UUID, list[QuestionOption]]
    translations: dict[uuid.UUID, QuestionTranslation] = field(default_factory=dict)
    #: Learner views of untranslated questions, built once per sheet on first use (a cached
    #: sheet serves every start of its quiz revision); see ``service.attempts``.
    views: dict[uuid.UUID, Any] = field(default_factory=dict)


_CACHE: OrderedDict[tuple[uuid.UUID, int], tuple[list[uuid.UUID], Sheet]] = OrderedDict()


async def load(
    session: AsyncSession, ids: Sequence[uuid.UUID], language: str | None = None
) -> Sheet:
    translations = {}
    if language:
        translations = await questions_repo.translations_for(session, ids, language)
    return Sheet(
        await questions_repo.questions_by_ids(session, ids),
        await questions_repo.options_of(session, ids),
        translations,
    )


async def quiz_sheet(
    session: AsyncSession, quiz: Quiz, language: str | None = None
) -> tuple[list[uuid.UUID], Sheet]:
    """The quiz's pool (in order) and its sheet."""
    key = (quiz.id, quiz.revision)
    cached = _CACHE.get(key) if not language else None
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    pool = await questions_repo.pool_ids(session, quiz.id)
    found = (pool, await load(session, pool, language))
    if not language:
        # Detach the rows from this session: the cached copies are read-only snapshots.
        for question in found[1].questions.values():
            session.expunge(question)
        for options in found[1].options.values():
            for option in options:
                session.expunge(option)
        _CACHE[key] = found
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found
