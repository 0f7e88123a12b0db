"""Analysis of learners' work (seed 003 ``QuizAnalysis`` / ``AssignmentAnalysis``).

Quiz analysis is computed from the attempt's data: the share of points earned per topic, strong
(>= 80 %) and weak (< 60 %) topics, time per question, and lessons of the course whose titles
mention a weak topic. Assignment analysis is written by instructors (``MANUAL``); an
``Analyzer`` (e.g. an AI provider) can be plugged in later to draft one (``AI``/``HYBRID``) -
none is configured, so nothing external is ever called by default.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import AnalysisType, AttemptStatus, RevealPolicy
from campus.assessment.exceptions import AnalysisNotAvailable, AttemptNotSubmitted
from campus.assessment.repository import attempts as repo
from campus.assessment.repository import questions as questions_repo
from campus.assessment.service import attempts as attempts_service
from campus.assessment.service.records import QuizAnalysis, TopicLesson
from campus.catalog import api as catalog
from campus.kernel.auth import Principal

STRONG_PERCENT = Decimal(80)
WEAK_PERCENT = Decimal(60)
MAX_LESSONS_PER_TOPIC = 3


@dataclass(frozen=True, slots=True)
class AnalysisDraft:
    analysis_type: AnalysisType
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    suggestions: tuple[str, ...]
    overall_score: int | None
    model: str | None


class Analyzer(Protocol):
    """Drafts feedback on a submission (an AI provider, a linter...). Registered by the
    composition root when configured; Campus ships none."""

    async def analyze(
        self, *, instructions: str | None, text: str | None, file_names: Sequence[str]
    ) -> AnalysisDraft: ...


async def quiz_analysis(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID
) -> QuizAnalysis:
    attempt, staff = await attempts_service._visible_attempt(session, principal, attempt_id)
    if attempt.status != AttemptStatus.SUBMITTED.value:
        raise AttemptNotSubmitted()
    quiz = await questions_repo.get_quiz(session, attempt.quiz_id)
    assert quiz is not None
    if not staff and not attempts_service._reveal_for(quiz, attempt, staff=False):
        raise AnalysisNotAvailable(details={"revealPolicy": RevealPolicy(quiz.reveal_policy)})
    ids = [uuid.UUID(x) for x in attempt.question_ids]
    questions = await questions_repo.questions_by_ids(session, ids)
    answers = {a.question_id: a for a in await repo.answers_of(session, attempt.id)}
    earned: dict[str, Decimal] = {}
    possible: dict[str, Decimal] = {}
    for qid in ids:
        question = questions.get(qid)
        if question is None:
            continue
        answer = answers.get(qid)
        got = max(Decimal(answer.points_awarded or 0), Decimal(0)) if answer else Decimal(0)
        for topic in question.topics or ["General"]:
            earned[topic] = earned.get(topic, Decimal(0)) + got
            possible[topic] = possible.get(topic, Decimal(0)) + question.points
    breakdown = {
        t: (earned[t] * 100 / possible[t]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for t in sorted(possible)
        if possible[t] > 0
    }
    strong = [t for t, p in breakdown.items() if p >= STRONG_PERCENT]
    weak = [t for t, p in breakdown.items() if p < WEAK_PERCENT]
    recommendations = await _lessons_for(session, attempt.course_id, weak)
    per_question = None
    management = None
    if attempt.time_taken_seconds is not None and ids:
        per_question = round(attempt.time_taken_seconds / len(ids))
        if quiz.time_limit_seconds:
            used = attempt.time_taken_seconds / quiz.time_limit_seconds
            management = (
                "Ran out of time"
                if attempt.auto_submitted
                else "Used nearly all the time"
                if used > 0.9
                else "Finished quickly"
                if used < 0.3
                else "Good"
            )
    return QuizAnalysis(
        attempt_id=attempt.id,
        performance_breakdown=breakdown,
        strong_topics=tuple(strong),
        weak_topics=tuple(weak),
        recommendations=tuple(recommendations),
        avg_time_per_question_seconds=per_question,
        time_management=management,
    )


async def _lessons_for(
    session: AsyncSession, course_id: uuid.UUID, topics: Sequence[str]
) -> list[TopicLesson]:
    """Lessons of the course's current version whose title mentions a weak topic."""
    if not topics:
        return []
    version_id = await catalog.get_current_version_id(session, course_id)
    if version_id is None:
        return []
    structure = await catalog.get_version_structure(session, version_id)
    if structure is None:
        return []
    out: list[TopicLesson] = []
    for topic in topics:
        wanted = topic.casefold()
        found = [x for x in structure.lessons if wanted in x.title.casefold()]
        out += [
            TopicLesson(topic=topic, lesson_id=x.id, lesson_title=x.title)
            for x in found[:MAX_LESSONS_PER_TOPIC]
        ]
    return out
