"""Pure grading rules: answer keys, learner responses and how a response earns points.

Partial credit (documented for authors and learners):

* single choice, true/false, short answer, numeric: all or nothing;
* multiple choice: ``(correct selected - incorrect selected) / correct options``, floored at 0;
* fill in the blanks: correct blanks / blanks; matching: correct pairs / pairs;
  ordering: items in their correct position / items.

Negative marking (a quiz setting, ``negative_marking_percent``): an answered question that earns
nothing loses that share of its points; unanswered questions and partially right answers never
lose points. The attempt's total is floored at 0.

Short answers are compared case- and whitespace-insensitively (NFKC, casefold, runs of white
space collapsed). An optional regular expression must be short, is compiled when the question is
authored, may not nest quantifiers, quantify alternations or use back-references (no
catastrophic backtracking), and is only ever used with ``fullmatch`` on bounded input.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic.alias_generators import to_camel

from campus.assessment.data import QuestionType
from campus.kernel.errors import ValidationFailed, field_error

MAX_PATTERN_LENGTH = 100
MAX_TEXT_ANSWER = 200
MAX_UNBOUNDED_REPEATS = 3
_REPEAT_LIMIT = 50
ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class OptionKey:
    id: uuid.UUID
    is_correct: bool


@dataclass(frozen=True, slots=True)
class KeyedQuestion:
    """What grading needs to know about a question (loaded by the service, never sent out)."""

    id: uuid.UUID
    type: QuestionType
    points: int
    prompt: Mapping[str, Any]
    answer_key: Mapping[str, Any]
    options: tuple[OptionKey, ...] = ()


# --------------------------------------------------------------------------- text and patterns


def normalize_text(value: str) -> str:
    """Case- and whitespace-insensitive form of a short answer."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _walk(items: Any, depth: int, counts: list[int]) -> None:
    c: Any = importlib.import_module("re._constants")  # the regex parser's opcodes

    for op, arg in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            _low, high, sub = arg
            if depth > 0:
                raise ValueError("nested quantifiers are not allowed")
            if high is c.MAXREPEAT or high > _REPEAT_LIMIT:
                counts[0] += 1
            if any(o == c.BRANCH for o, _ in sub) or any(
                o == c.SUBPATTERN and any(x == c.BRANCH for x, _ in a[-1]) for o, a in sub
            ):
                raise ValueError("quantified alternations are not allowed")
            _walk(sub, depth + 1, counts)
        elif op in (c.GROUPREF, c.GROUPREF_EXISTS):
            raise ValueError("back-references are not allowed")
        elif op in (c.ASSERT, c.ASSERT_NOT):
            raise ValueError("look-around assertions are not allowed")
        elif op == c.SUBPATTERN:
            _walk(arg[-1], depth, counts)
        elif op == c.BRANCH:
            for branch in arg[1]:
                _walk(branch, depth, counts)
        elif op == c.ATOMIC_GROUP:
            _walk(arg, depth, counts)


def compile_pattern(pattern: str, field: str = "pattern") -> re.Pattern[str]:
    """Check and compile an author's pattern (422 when it is unsafe or invalid)."""
    _parser: Any = importlib.import_module("re._parser")  # private: not in the stubs

    if len(pattern) > MAX_PATTERN_LENGTH:
        raise field_error(field, f"Patterns are at most {MAX_PATTERN_LENGTH} characters.")
    try:
        counts = [0]
        _walk(_parser.parse(pattern), 0, counts)
        if counts[0] > MAX_UNBOUNDED_REPEATS:
            raise ValueError(f"at most {MAX_UNBOUNDED_REPEATS} unbounded quantifiers")
        return re.compile(pattern, re.IGNORECASE)
    except (re.error, ValueError, OverflowError, RecursionError) as exc:
        raise field_error(field, f"The pattern is not allowed: {exc}", "unsafe_pattern") from exc


def _text_matches(value: str, accepted: Sequence[str], pattern: str | None) -> bool:
    normalized = normalize_text(value)[:MAX_TEXT_ANSWER]
    if normalized in accepted:
        return True
    if pattern:
        return re.fullmatch(pattern, normalized, re.IGNORECASE) is not None
    return False


# --------------------------------------------------------------------------- numbers


def to_decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise field_error(field, "Give a number.") from exc
    if not number.is_finite() or abs(number) > Decimal("1e12"):
        raise field_error(field, "Give a finite number of reasonable size.")
    return number


def percent(points: Decimal, max_points: int) -> Decimal:
    if max_points <= 0:
        return ZERO
    value = max(points, ZERO) * 100 / Decimal(max_points)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- responses

#: Which response field each question type takes.
RESPONSE_FIELD: dict[QuestionType, str] = {
    QuestionType.SINGLE_CHOICE: "option_id",
    QuestionType.MULTIPLE_CHOICE: "option_ids",
    QuestionType.TRUE_FALSE: "value",
    QuestionType.SHORT_ANSWER: "text",
    QuestionType.FILL_BLANKS: "blanks",
    QuestionType.MATCHING: "matches",
    QuestionType.ORDERING: "order",
    QuestionType.NUMERIC: "number",
}


def check_response(question: KeyedQuestion, response: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a learner's response against the question's shape; returns the stored form.
    Only the type's own field may be given (a 422 otherwise)."""
    wanted = RESPONSE_FIELD[question.type]
    given = {k for k, v in response.items() if v is not None}
    if given != {wanted}:
        raise ValidationFailed(
            "Answer this question type with exactly one field.",
            details={
                "fields": [
                    {
                        "field": to_camel(wanted),
                        "message": "Required for this question type.",
                        "code": "wrong_answer_field",
                    }
                ]
            },
        )
    value = response[wanted]
    option_ids = {str(o.id) for o in question.options}
    t = question.type
    if t is QuestionType.SINGLE_CHOICE:
        if str(value) not in option_ids:
            raise field_error("optionId", "Not an option of this question.")
        return {"optionId": str(value)}
    if t is QuestionType.MULTIPLE_CHOICE:
        chosen = [str(v) for v in value]
        if len(set(chosen)) != len(chosen) or not set(chosen) <= option_ids:
            raise field_error("optionIds", "Give distinct options of this question.")
        return {"optionIds": sorted(chosen)}
    if t is QuestionType.TRUE_FALSE:
        return {"value": bool(value)}
    if t is QuestionType.SHORT_ANSWER:
        return {"text": str(value)}
    if t is QuestionType.FILL_BLANKS:
        count = int(question.prompt.get("blankCount", 0))
        if len(value) != count:
            raise field_error("blanks", f"Give exactly {count} answers, one per blank.")
        return {"blanks": [str(v) for v in value]}
    if t is QuestionType.MATCHING:
        left = {x["id"] for x in question.prompt.get("left", [])}
        right = {x["id"] for x in question.prompt.get("right", [])}
        matches = {str(k): str(v) for k, v in value.items()}
        if not set(matches) <= left or not set(matches.values()) <= right:
            raise field_error("matches", "Match items of this question only.")
        return {"matches": matches}
    if t is QuestionType.ORDERING:
        items = [x["id"] for x in question.prompt.get("items", [])]
        order = [str(v) for v in value]
        if sorted(order) != sorted(items):
            raise field_error("order", "Give every item of this question exactly once.")
        return {"order": order}
    number = to_decimal(value, "number")
    return {"number": str(number)}


def fraction(question: KeyedQuestion, response: Mapping[str, Any] | None) -> Decimal | None:
    """The share of the question's points a stored response earns (0..1); ``None``: unanswered."""
    if not response:
        return None
    key = question.answer_key
    t = question.type
    if t is QuestionType.SINGLE_CHOICE:
        correct = {str(o.id) for o in question.options if o.is_correct}
        return ONE if response.get("optionId") in correct else ZERO
    if t is QuestionType.MULTIPLE_CHOICE:
        correct = {str(o.id) for o in question.options if o.is_correct}
        chosen = set(response.get("optionIds", []))
        if not correct:
            return ZERO
        raw = Decimal(len(chosen & correct) - len(chosen - correct)) / Decimal(len(correct))
        return max(ZERO, raw)
    if t is QuestionType.TRUE_FALSE:
        return ONE if response.get("value") is key.get("value") else ZERO
    if t is QuestionType.SHORT_ANSWER:
        ok = _text_matches(
            str(response.get("text", "")), key.get("accepted", []), key.get("pattern")
        )
        return ONE if ok else ZERO
    if t is QuestionType.FILL_BLANKS:
        blanks = key.get("blanks", [])
        given = response.get("blanks", [])
        if not blanks:
            return ZERO
        right = sum(
            1
            for blank, answer in zip(blanks, given, strict=False)
            if _text_matches(str(answer), blank.get("accepted", []), blank.get("pattern"))
        )
        return Decimal(right) / Decimal(len(blanks))
    if t is QuestionType.MATCHING:
        pairs: dict[str, str] = key.get("pairs", {})
        matches = response.get("matches", {})
        if not pairs:
            return ZERO
        right = sum(1 for left, target in pairs.items() if matches.get(left) == target)
        return Decimal(right) / Decimal(len(pairs))
    if t is QuestionType.ORDERING:
        order: list[str] = key.get("order", [])
        given = response.get("order", [])
        if not order:
            return ZERO
        right = sum(1 for a, b in zip(order, given, strict=False) if a == b)
        return Decimal(right) / Decimal(len(order))
    value = Decimal(str(key.get("value", "0")))
    tolerance = Decimal(str(key.get("tolerance", "0")))
    try:
        number = Decimal(str(response.get("number")))
    except InvalidOperation:
        return ZERO
    return ONE if abs(number - value) <= tolerance else ZERO


def points_for(
    question: KeyedQuestion, share: Decimal | None, negative_marking_percent: int
) -> Decimal:
    """Points one question earns: its share of the points, or the penalty for a wrong answer."""
    if share is None:
        return ZERO
    if share == ZERO and negative_marking_percent > 0:
        penalty = Decimal(question.points) * Decimal(negative_marking_percent) / 100
        return -penalty.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (Decimal(question.points) * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class SheetResult:
    points: Decimal
    max_points: int
    percent: Decimal
    per_question: dict[uuid.UUID, tuple[Decimal | None, Decimal]]


def grade_sheet(
    questions: Sequence[KeyedQuestion],
    responses: Mapping[uuid.UUID, Mapping[str, Any]],
    negative_marking_percent: int = 0,
) -> SheetResult:
    """Grade a whole answer sheet; the total is floored at 0."""
    per: dict[uuid.UUID, tuple[Decimal | None, Decimal]] = {}
    total = ZERO
    for question in questions:
        share = fraction(question, responses.get(question.id))
        earned = points_for(question, share, negative_marking_percent)
        per[question.id] = (share, earned)
        total += earned
    max_points = sum(q.points for q in questions)
    total = max(total, ZERO)
    return SheetResult(total, max_points, percent(total, max_points), per)


def correct_response(question: KeyedQuestion) -> dict[str, Any]:
    """The model answer in response form (revealed to learners only per the reveal policy)."""
    key = question.answer_key
    t = question.type
    if t is QuestionType.SINGLE_CHOICE:
        return {"optionId": next((str(o.id) for o in question.options if o.is_correct), None)}
    if t is QuestionType.MULTIPLE_CHOICE:
        return {"optionIds": sorted(str(o.id) for o in question.options if o.is_correct)}
    if t is QuestionType.TRUE_FALSE:
        return {"value": key.get("value")}
    if t is QuestionType.SHORT_ANSWER:
        return {"text": (key.get("display") or key.get("accepted") or [""])[0]}
    if t is QuestionType.FILL_BLANKS:
        return {
            "blanks": [
                (b.get("display") or b.get("accepted") or [""])[0] for b in key.get("blanks", [])
            ]
        }
    if t is QuestionType.MATCHING:
        return {"matches": dict(key.get("pairs", {}))}
    if t is QuestionType.ORDERING:
        return {"order": list(key.get("order", []))}
    return {"number": str(key.get("value")), "tolerance": str(key.get("tolerance", "0"))}
