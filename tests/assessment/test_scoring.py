"""Grading rules of every question type against hand-computed expectations, property tests,
and the regular-expression guard (ReDoS)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campus.assessment.data import QuestionType
from campus.assessment.service.scoring import (
    KeyedQuestion,
    OptionKey,
    check_response,
    compile_pattern,
    correct_response,
    fraction,
    grade_sheet,
    normalize_text,
)
from campus.kernel.errors import ValidationFailed

A, B, C, D = (uuid.uuid4() for _ in range(4))


def q(
    t: QuestionType,
    points: int = 1,
    *,
    prompt: Mapping[str, Any] | None = None,
    key: Mapping[str, Any] | None = None,
    options: tuple[OptionKey, ...] = (),
) -> KeyedQuestion:
    return KeyedQuestion(
        id=uuid.uuid4(),
        type=t,
        points=points,
        prompt=prompt if prompt is not None else {},
        answer_key=key if key is not None else {},
        options=options,
    )


SINGLE = q(QuestionType.SINGLE_CHOICE, 2, options=(OptionKey(A, True), OptionKey(B, False)))
MULTI = q(
    QuestionType.MULTIPLE_CHOICE,
    3,
    options=(OptionKey(A, True), OptionKey(B, True), OptionKey(C, False), OptionKey(D, False)),
)
TF = q(QuestionType.TRUE_FALSE, key={"value": False})
SHORT = q(
    QuestionType.SHORT_ANSWER, key={"accepted": ["paris", "city of light"], "pattern": r"pa?ris"}
)
FILL = q(
    QuestionType.FILL_BLANKS,
    2,
    prompt={"blankCount": 3},
    key={"blanks": [{"accepted": ["for"]}, {"accepted": ["in"]}, {"accepted": ["range"]}]},
)
MATCH = q(
    QuestionType.MATCHING,
    3,
    prompt={
        "left": [{"id": "l1"}, {"id": "l2"}, {"id": "l3"}],
        "right": [{"id": "r1"}, {"id": "r2"}, {"id": "r3"}],
    },
    key={"pairs": {"l1": "r1", "l2": "r2", "l3": "r3"}},
)
ORDER = q(
    QuestionType.ORDERING,
    4,
    prompt={"items": [{"id": x} for x in "abcd"]},
    key={"order": ["a", "b", "c", "d"]},
)
NUM = q(QuestionType.NUMERIC, key={"value": "3.14", "tolerance": "0.01"})
ALL = [SINGLE, MULTI, TF, SHORT, FILL, MATCH, ORDER, NUM]


@pytest.mark.parametrize(
    ("question", "response", "expected"),
    [
        (SINGLE, {"optionId": str(A)}, "1"),
        (SINGLE, {"optionId": str(B)}, "0"),
        # multiple choice: (correct selected - incorrect selected) / correct, floored at 0
        (MULTI, {"optionIds": [str(A), str(B)]}, "1"),
        (MULTI, {"optionIds": [str(A)]}, "0.5"),
        (MULTI, {"optionIds": [str(A), str(C)]}, "0"),
        (MULTI, {"optionIds": [str(A), str(B), str(C)]}, "0.5"),
        (MULTI, {"optionIds": [str(C), str(D)]}, "0"),
        (MULTI, {"optionIds": [str(A), str(B), str(C), str(D)]}, "0"),
        (TF, {"value": False}, "1"),
        (TF, {"value": True}, "0"),
        (SHORT, {"text": "  PARIS  "}, "1"),
        (SHORT, {"text": "City   of\tLight"}, "1"),
        (SHORT, {"text": "pris"}, "1"),  # the pattern, case-insensitive
        (SHORT, {"text": "london"}, "0"),
        (FILL, {"blanks": ["For", "in", "range"]}, "1"),
        (FILL, {"blanks": ["for", "on", "range"]}, "0.6666666666666666666666666667"),
        (FILL, {"blanks": ["while", "on", "x"]}, "0"),
        (MATCH, {"matches": {"l1": "r1", "l2": "r2", "l3": "r3"}}, "1"),
        (
            MATCH,
            {"matches": {"l1": "r1", "l2": "r3", "l3": "r2"}},
            "0.3333333333333333333333333333",
        ),
        (ORDER, {"order": ["a", "b", "c", "d"]}, "1"),
        (ORDER, {"order": ["a", "b", "d", "c"]}, "0.5"),
        (ORDER, {"order": ["d", "c", "b", "a"]}, "0"),
        (NUM, {"number": "3.145"}, "1"),
        (NUM, {"number": "3.13"}, "1"),
        (NUM, {"number": "3.16"}, "0"),
    ],
)
def test_each_type_earns_its_hand_computed_share(
    question: KeyedQuestion, response: dict[str, object], expected: str
) -> None:
    assert fraction(question, response) == Decimal(expected)


def test_a_hand_graded_sheet_with_negative_marking() -> None:
    responses: dict[uuid.UUID, dict[str, Any]] = {
        SINGLE.id: {"optionId": str(B)},  # wrong: -50 % of 2 = -1
        MULTI.id: {"optionIds": [str(A)]},  # half: 1.5 (partial answers are never penalised)
        TF.id: {"value": False},  # right: 1
        ORDER.id: {"order": ["a", "b", "d", "c"]},  # half of 4: 2
    }
    result = grade_sheet(ALL, responses, negative_marking_percent=50)
    assert result.points == Decimal("3.50")
    assert result.max_points == 17
    assert result.percent == Decimal("20.59")
    assert result.per_question[SHORT.id] == (None, Decimal(0))  # unanswered: no penalty


def test_an_all_wrong_sheet_is_floored_at_zero() -> None:
    responses: dict[uuid.UUID, dict[str, Any]] = {
        SINGLE.id: {"optionId": str(B)},
        TF.id: {"value": True},
    }
    result = grade_sheet(ALL, responses, negative_marking_percent=100)
    assert result.points == 0
    assert result.percent == 0


def _perfect(question: KeyedQuestion) -> dict[str, object]:
    if question is SHORT:
        return {"text": "Paris"}
    if question is FILL:
        return {"blanks": ["for", "in", "range"]}
    if question is NUM:
        return {"number": "3.14"}
    return correct_response(question)


@settings(max_examples=60, deadline=None)
@given(
    subset=st.lists(st.sampled_from(ALL), min_size=1, max_size=8, unique_by=id),
    negative=st.integers(min_value=0, max_value=100),
)
def test_a_perfect_sheet_always_scores_100_percent(
    subset: list[KeyedQuestion], negative: int
) -> None:
    result = grade_sheet(subset, {x.id: _perfect(x) for x in subset}, negative)
    assert result.percent == Decimal("100.00")


@settings(max_examples=60, deadline=None)
@given(
    subset=st.lists(st.sampled_from(ALL), min_size=1, max_size=8, unique_by=id),
    negative=st.integers(min_value=0, max_value=100),
)
def test_an_empty_sheet_scores_zero_whatever_the_negative_marking(
    subset: list[KeyedQuestion], negative: int
) -> None:
    result = grade_sheet(subset, {}, negative)
    assert result.points == 0
    assert result.percent == Decimal("0.00")


@settings(max_examples=100, deadline=None)
@given(
    chosen=st.lists(st.sampled_from([A, B, C, D]), unique=True),
    negative=st.integers(min_value=0, max_value=100),
)
def test_any_sheet_scores_between_zero_and_100(chosen: list[uuid.UUID], negative: int) -> None:
    result = grade_sheet(
        [MULTI, SINGLE], {MULTI.id: {"optionIds": [str(x) for x in chosen]}}, negative
    )
    assert Decimal(0) <= result.percent <= Decimal(100)


@given(
    st.text(alphabet=st.characters(categories=["L", "N"]), max_size=20),
    st.text(alphabet=st.characters(categories=["L", "N"]), max_size=20),
)
def test_normalisation_ignores_surrounding_and_repeated_whitespace(left: str, right: str) -> None:
    assert normalize_text(f"  {left} \t\n {right} ") == normalize_text(f"{left} {right}")


def test_normalisation_ignores_case() -> None:
    assert normalize_text("ÉCOLE  Straße") == normalize_text("école strasse")


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+$",
        r"(a|aa)+",
        r"(a*)*b",
        r"(\w+\s?)*$",
        r"(x)\1",
        r"(?=a)a",
        "a" * 101,
        r"\d*\d*\d*\d*x",
        "(unclosed",
    ],
)
def test_unsafe_or_invalid_patterns_are_refused_when_authored(pattern: str) -> None:
    with pytest.raises(ValidationFailed):
        compile_pattern(pattern)


def test_accepted_patterns_match_hostile_input_quickly() -> None:
    compile_pattern(r"[a-z]+\s*\d{1,3}")
    question = q(QuestionType.SHORT_ANSWER, key={"accepted": [], "pattern": r"[a-z]+\s*\d{1,3}"})
    started = time.perf_counter()
    assert fraction(question, {"text": "a" * 5000 + "!"}) == 0
    assert time.perf_counter() - started < 0.5


def test_responses_must_use_the_field_of_their_type() -> None:
    with pytest.raises(ValidationFailed):
        check_response(TF, {"optionId": str(A)})
    with pytest.raises(ValidationFailed):
        check_response(SINGLE, {"optionId": str(uuid.uuid4())})
    with pytest.raises(ValidationFailed):
        check_response(ORDER, {"order": ["a", "a", "b", "c"]})
    with pytest.raises(ValidationFailed):
        check_response(FILL, {"blanks": ["for"]})
    assert check_response(MULTI, {"option_ids": [B, A]}) == {"optionIds": sorted([str(A), str(B)])}
