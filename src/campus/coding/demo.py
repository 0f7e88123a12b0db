"""Demo coding exercises for the Python track (seed 003's sample): "Write a Calculator
Program" (Python Basics, stdin/stdout), "FizzBuzz Challenge" (Python Control Flow, function
calls) and "Create a Function Library" (Python Functions, function calls), each with visible
and hidden tests and a reference solution. Each exercise is placed on the module's lesson of
the same title when there is one (learning completes that lesson on a passing submission).

An exercise is published only if its reference solution passes its own tests in the configured
runner (run here, as ``publish`` would); otherwise it stays a draft and a warning is logged.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.coding.data import ExerciseStatus
from campus.coding.models import CodeExercise
from campus.coding.repository import exercises as exercises_repo
from campus.coding.runners.engine import engine_for
from campus.coding.schemas.exercises import TestCaseIn
from campus.coding.service.exercises import test_rows
from campus.coding.service.test_runs import limits_for, run_tests
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger
from campus.kernel.module import SeedState

log = get_logger("campus.coding.demo")

CALCULATOR = '''\
"""A calculator: reads "a op b" (op is + - * /) and prints the result."""


def calculate(a: int, op: str, b: int) -> str:
    if op == "+":
        return str(a + b)
    if op == "-":
        return str(a - b)
    if op == "*":
        return str(a * b)
    if b == 0:
        return "Error: division by zero"
    return str(round(a / b, 2))


left, operator, right = input().split()
print(calculate(int(left), operator, int(right)))
'''

FIZZBUZZ = """\
def solve(n):
    out = []
    for i in range(1, n + 1):
        if i % 15 == 0:
            out.append("FizzBuzz")
        elif i % 3 == 0:
            out.append("Fizz")
        elif i % 5 == 0:
            out.append("Buzz")
        else:
            out.append(str(i))
    return out
"""

LIBRARY = """\
from collections import Counter


def mean(values):
    return sum(values) / len(values)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mode(values):
    counts = Counter(values)
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def value_range(values):
    return max(values) - min(values)


LIBRARY = {"mean": mean, "median": median, "mode": mode, "range": value_range}


def solve(operation, values):
    return LIBRARY[operation](values)
"""


def _stdio(name: str, given: str, expected: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "stdio", "input": given, "expected": expected, **extra}


def _call(name: str, args: list[Any], expected: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "function", "input": args, "expected": expected, **extra}


FIZZ_15 = [
    "1",
    "2",
    "Fizz",
    "4",
    "Buzz",
    "Fizz",
    "7",
    "8",
    "Fizz",
    "Buzz",
    "11",
    "Fizz",
    "13",
    "14",
    "FizzBuzz",
]

EXERCISES: dict[str, dict[str, Any]] = {
    "Write a Calculator Program": {
        "module": "Python Basics",
        "difficulty": "EASY",
        "description": (
            "Write a program that reads one line `a op b` from standard input - two whole "
            "numbers and an operator `+`, `-`, `*` or `/` separated by spaces - and prints the "
            "result.\n\nDivision prints the quotient rounded to two decimals; dividing by zero "
            "prints `Error: division by zero`.\n\n```\n$ echo '6 * 7' | python3 calc.py\n42\n```"
        ),
        "starter": "line = input()\n# split the line, convert the numbers, compute, print\n",
        "reference": CALCULATOR,
        "hints": [
            "`input().split()` gives you the three parts of the line.",
            "Convert the numbers with `int(...)` before computing.",
            "Check for a zero divisor before you divide.",
        ],
        "tests": [
            _stdio("adds", "3 + 4\n", "7\n", comparison="whitespace"),
            _stdio("subtracts below zero", "10 - 12\n", "-2\n", comparison="whitespace"),
            _stdio("multiplies", "6 * 7\n", "42\n", comparison="whitespace"),
            _stdio("divides", "7 / 2\n", "3.5\n", comparison="numeric", hidden=True),
            _stdio(
                "refuses division by zero",
                "5 / 0\n",
                "Error: division by zero\n",
                comparison="whitespace",
                hidden=True,
            ),
            _stdio("negative numbers", "-3 * -3\n", "9\n", comparison="whitespace", hidden=True),
        ],
    },
    "FizzBuzz Challenge": {
        "module": "Python Control Flow",
        "difficulty": "EASY",
        "description": (
            "Write `solve(n)` that returns the FizzBuzz sequence for 1..n as a list of "
            'strings: multiples of 3 are `"Fizz"`, multiples of 5 `"Buzz"`, multiples of '
            'both `"FizzBuzz"`, every other number itself (`"7"`).'
        ),
        "starter": "def solve(n):\n    result = []\n    # your loop here\n    return result\n",
        "reference": FIZZBUZZ,
        "hints": [
            "Loop with `for i in range(1, n + 1)`.",
            "Test divisibility by 15 first, then by 3 and by 5.",
        ],
        "tests": [
            _call("first five", [5], ["1", "2", "Fizz", "4", "Buzz"]),
            _call("just one", [1], ["1"]),
            _call("up to fifteen", [15], FIZZ_15, hidden=True, weight=2),
            _call("nothing for zero", [0], [], hidden=True),
        ],
    },
    "Create a Function Library": {
        "module": "Python Functions",
        "difficulty": "MEDIUM",
        "description": (
            "Build a small statistics library: the functions `mean`, `median`, `mode` (the "
            "smallest most frequent value) and `range` (largest minus smallest), and "
            "`solve(operation, values)` that calls the one named by `operation`."
        ),
        "starter": (
            "def mean(values):\n    ...\n\n\ndef solve(operation, values):\n"
            "    # call the function named by operation\n    ...\n"
        ),
        "reference": LIBRARY,
        "hints": [
            "A dictionary can map names to functions: `{'mean': mean}`.",
            "For the median, sort first and look at the middle.",
            "`collections.Counter` counts values for the mode.",
        ],
        "tests": [
            _call("mean", ["mean", [1, 2, 3, 4]], 2.5, comparison="numeric"),
            _call("median of odd count", ["median", [3, 1, 2]], 2, comparison="numeric"),
            _call("mode", ["mode", [1, 2, 2, 3]], 2),
            _call("range", ["range", [4, 9, 1]], 8),
            _call(
                "median of even count",
                ["median", [4, 1, 3, 2]],
                2.5,
                comparison="numeric",
                hidden=True,
            ),
            _call("mode tie takes the smallest", ["mode", [5, 5, 1, 1, 3]], 1, hidden=True),
        ],
    },
}


async def seed_demo(
    session: AsyncSession, settings: Settings, course_id: uuid.UUID, instructor_id: uuid.UUID
) -> bool:
    if await exercises_repo.exercises_of_course(session, course_id):
        return False
    version_id = await catalog.get_current_version_id(session, course_id)
    structure = await catalog.get_version_structure(session, version_id) if version_id else None
    modules = {m.title: m for m in structure.modules} if structure else {}
    engine = engine_for(settings)
    for title, spec in EXERCISES.items():
        module = modules.get(spec["module"])
        lesson = next((x for x in module.lessons if x.title == title), None) if module else None
        exercise = CodeExercise(
            id=new_id(),
            course_id=course_id,
            module_id=module.id if module else None,
            lesson_id=lesson.id if lesson else None,
            title=title,
            description=spec["description"],
            difficulty=spec["difficulty"],
            language="python",
            starter_code=spec["starter"],
            reference_solution=spec["reference"],
            hints=spec["hints"],
            max_score=100,
            time_limit_ms=2000,
            memory_limit_mb=256,
            status=ExerciseStatus.DRAFT.value,
            tests_version=1,
            created_by=instructor_id,
        )
        session.add(exercise)
        await session.flush()
        rows = test_rows([TestCaseIn.model_validate(t).spec() for t in spec["tests"]])
        for row in rows:
            row.exercise_id = exercise.id
            session.add(row)
        await session.flush()
        verdict = await run_tests(engine, "python", spec["reference"], rows, limits_for(exercise))
        exercise.validated_version = 1
        exercise.validation_passed = verdict.passed
        exercise.validated_at = utcnow()
        if verdict.passed:
            exercise.status = ExerciseStatus.PUBLISHED.value
            exercise.published_at = utcnow()
        else:
            log.warning("coding_demo_exercise_left_draft", title=title, error=verdict.error)
    return True


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """Seed 003's coding exercises on the Python track's three modules ("Write a Calculator
    Program", "FizzBuzz Challenge", "Create a Function Library"), each published once its
    reference solution passed its own tests in the configured code runner."""
    found = await catalog.find_course_ids_by_slugs(session, ["python-programming"])
    course_id = found.get("python-programming")
    course = await catalog.get_course_summary(session, course_id) if course_id else None
    if course is None or course.track_slug != "python":
        log.warning("coding_demo_skipped", reason="no course on the python track")
        return
    instructor = state.user_ids.get("ada@campus.example", course.primary_instructor_id)
    await seed_demo(session, settings, course.id, instructor)
