"""Value objects of the sandbox interface: test cases in, per-test results and a report out."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from campus.sandbox.probe import SandboxLayers

TestKind = Literal["stdio", "function"]
Comparison = Literal["exact", "whitespace", "numeric"]

_KINDS = ("stdio", "function")
_COMPARISONS = ("exact", "whitespace", "numeric")


class TestStatus(enum.StrEnum):
    """Verdict of one test case."""

    __test__ = False  # not a pytest test class

    PASSED = "passed"
    FAILED = "failed"  # ran to completion, wrong answer
    ERROR = "error"  # crashed, exited non-zero, no trustworthy result, sandbox failure
    TIMEOUT = "timeout"  # wall-clock or CPU limit
    MEMORY = "memory"  # address-space limit
    OUTPUT_LIMIT = "output_limit"  # stdout / stderr / result larger than max_output_bytes


class RunStatus(enum.StrEnum):
    """Overall verdict. ``ERROR`` means the *sandbox* could not grade the submission (an
    infrastructure problem, see :attr:`RunReport.error`), not that the learner's code crashed:
    a crashing submission is ``FAILED``."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test case.

    kind ``"stdio"``
        ``input`` is the text fed to the program's standard input (``str``), ``expected`` the
        text it must print on standard output.
    kind ``"function"``
        ``input`` is the list of positional arguments for ``solve(*args)``: a list/tuple of
        JSON values, or a ``str`` holding a JSON array; ``expected`` is the JSON value
        ``solve`` must return.

    ``comparison`` is one of ``"exact"``, ``"whitespace"``, ``"numeric"`` (see
    :mod:`campus.sandbox.compare`); ``tolerance`` (absolute) and
    ``rel_tolerance`` (relative) apply to ``"numeric"``. ``hidden`` tests never reveal their
    input, expected value, the program's output, diff or error message.
    """

    __test__ = False  # not a pytest test class

    id: str
    kind: TestKind
    input: Any
    expected: Any
    weight: float = 1.0
    hidden: bool = False
    comparison: Comparison = "exact"
    tolerance: float = 1e-6
    rel_tolerance: float = 1e-9

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("TestCase.id must be a non-empty string")
        if self.kind not in _KINDS:
            raise ValueError(f"TestCase.kind must be one of {_KINDS}, got {self.kind!r}")
        if self.comparison not in _COMPARISONS:
            raise ValueError(
                f"TestCase.comparison must be one of {_COMPARISONS}, got {self.comparison!r}"
            )
        if not math.isfinite(self.weight) or self.weight < 0:
            raise ValueError("TestCase.weight must be a finite number >= 0")
        if self.tolerance < 0 or self.rel_tolerance < 0:
            raise ValueError("TestCase tolerances must be >= 0")
        if self.kind == "stdio":
            if not isinstance(self.input, str) or not isinstance(self.expected, str):
                raise ValueError("stdio test cases need str input and str expected output")
        else:
            self.arguments()  # validates
            try:
                json.dumps(self.expected, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"TestCase.expected must be a JSON value: {exc}") from exc

    def arguments(self) -> list[Any]:
        """The positional arguments of a function test, decoded and validated."""
        args: Any = self.input
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError as exc:
                raise ValueError(f"TestCase.input is not valid JSON: {exc}") from exc
        if not isinstance(args, list | tuple):
            raise ValueError("function test input must be a JSON array of arguments")
        try:
            json.dumps(args, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"TestCase.input must hold JSON values: {exc}") from exc
        return list(args)


@dataclass(frozen=True, slots=True)
class TestResult:
    """Verdict of one test case.

    ``output``, ``diff`` and ``error`` are truncated and only ever set for visible tests; for
    hidden tests they are ``None`` so that nothing about the hidden input or expected value
    can leak (not even via an exception message or the program's own output).

    ``time_ms`` is the wall-clock time of the sandboxed execution as measured by the trusted
    launcher (it includes sandbox and interpreter start-up); ``memory_kb`` is the peak resident
    set size of the process tree.
    """

    __test__ = False  # not a pytest test class

    id: str
    passed: bool
    status: TestStatus
    time_ms: float
    memory_kb: int
    weight: float = 1.0
    hidden: bool = False
    output: str | None = None
    diff: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunReport:
    """Outcome of grading one submission.

    ``tests_executed`` counts the tests for which the trusted runner obtained a trustworthy
    answer to compare (a completed stdio run, or a well-formed result frame from the harness);
    a submission that exits early, kills its harness or crashes does not execute its tests.
    ``score`` is ``sum(weight of passed) / sum(weight) * max_score``.
    """

    status: RunStatus
    score: float
    max_score: float
    results: tuple[TestResult, ...]
    tests_executed: int
    tests_expected: int
    language: str
    layers: SandboxLayers
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status is RunStatus.PASSED

    def result(self, test_id: str) -> TestResult:
        for result in self.results:
            if result.id == test_id:
                return result
        raise KeyError(test_id)


def total_weight(tests: Sequence[TestCase]) -> float:
    return math.fsum(t.weight for t in tests)
