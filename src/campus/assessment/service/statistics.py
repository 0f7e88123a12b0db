"""Item statistics for instructors (pure): difficulty, discrimination, option distribution.

* difficulty index: share of the answered responses that were fully correct;
* discrimination: share fully correct in the top 27 % of attempts (by score) minus the share in
  the bottom 27 % (attempts that drew the question);
* point-biserial: correlation between "fully correct" and the attempt's score.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from campus.assessment.data import QuestionType
from campus.assessment.models import Question, QuestionOption
from campus.assessment.service.records import ItemStatistics, OptionTally, QuizStatistics

_Q = Decimal("0.0001")


def _dec(value: float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(_Q, rounding=ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal:
    return _dec(part / whole) or Decimal(0) if whole else Decimal(0)


def item_statistics(
    quiz_id: uuid.UUID,
    questions: Sequence[Question],
    options: Mapping[uuid.UUID, Sequence[QuestionOption]],
    attempts: Sequence[Any],
    answers: Sequence[Any],
) -> QuizStatistics:
    scores = {a.id: float(a.score_percent or 0) for a in attempts}
    ranked = sorted(scores, key=lambda k: scores[k])
    group = max(1, round(len(ranked) * 0.27)) if ranked else 0
    lower, upper = set(ranked[:group]), set(ranked[-group:]) if group else set()
    by_question: dict[uuid.UUID, list[Any]] = {}
    for answer in answers:
        by_question.setdefault(answer.question_id, []).append(answer)
    out: list[ItemStatistics] = []
    for question in questions:
        rows = by_question.get(question.id, [])
        correct = [r for r in rows if r.fraction is not None and Decimal(r.fraction) == 1]
        answered = len(rows)
        difficulty = _share(len(correct), answered) if answered else None
        correct_ids = {r.attempt_id for r in correct}
        seen = {r.attempt_id for r in rows}
        up, low = seen & upper, seen & lower
        discrimination = None
        if up and low:
            discrimination = _dec(
                len(up & correct_ids) / len(up) - len(low & correct_ids) / len(low)
            )
        out.append(
            ItemStatistics(
                question_id=question.id,
                text=question.text[:200],
                type=QuestionType(question.type),
                responses=answered,
                difficulty_index=difficulty,
                discrimination=discrimination,
                point_biserial=_dec(
                    _point_biserial(
                        [scores.get(r.attempt_id, 0.0) for r in rows],
                        [r.attempt_id in correct_ids for r in rows],
                    )
                ),
                options=_distribution(question, options.get(question.id, []), rows),
            )
        )
    total = len(attempts)
    passed = sum(1 for a in attempts if a.passed)
    average = _dec(sum(scores.values()) / total) if total else None
    return QuizStatistics(
        quiz_id=quiz_id,
        submitted_attempts=total,
        average_percent=average,
        pass_rate=_share(passed, total) if total else None,
        questions=tuple(out),
    )


def _point_biserial(scores: Sequence[float], correct: Sequence[bool]) -> float | None:
    n = len(scores)
    right = [s for s, c in zip(scores, correct, strict=True) if c]
    wrong = [s for s, c in zip(scores, correct, strict=True) if not c]
    if n < 2 or not right or not wrong:
        return None
    mean = sum(scores) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
    if sd == 0:
        return None
    p = len(right) / n
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / sd * math.sqrt(p * (1 - p))


def _distribution(
    question: Question, options: Sequence[QuestionOption], rows: Sequence[Any]
) -> tuple[OptionTally, ...]:
    total = len(rows)
    t = QuestionType(question.type)
    if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        counts = {str(o.id): 0 for o in options}
        for r in rows:
            chosen = r.response.get("optionIds") or [r.response.get("optionId")]
            for c in chosen:
                if c in counts:
                    counts[c] += 1
        return tuple(
            OptionTally(
                option_id=o.id,
                label=o.text[:100],
                count=counts[str(o.id)],
                share=_share(counts[str(o.id)], total),
            )
            for o in options
        )
    if t is QuestionType.TRUE_FALSE:
        yes = sum(1 for r in rows if r.response.get("value") is True)
        return (
            OptionTally(option_id=None, label="true", count=yes, share=_share(yes, total)),
            OptionTally(
                option_id=None, label="false", count=total - yes, share=_share(total - yes, total)
            ),
        )
    buckets = {"correct": 0, "partial": 0, "incorrect": 0}
    for r in rows:
        f = Decimal(r.fraction or 0)
        buckets["correct" if f == 1 else "partial" if f > 0 else "incorrect"] += 1
    return tuple(
        OptionTally(option_id=None, label=k, count=v, share=_share(v, total))
        for k, v in buckets.items()
    )
