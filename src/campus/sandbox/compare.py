"""Output comparison, done by the trusted runner (never inside the sandbox).

Modes
-----
``exact``
    stdio: the program's stdout must equal the expected text character for character
    (after UTF-8 decoding; ``\\r\\n`` is NOT normalised). function: the returned JSON value
    must equal the expected one structurally; numbers compare by value (``2 == 2.0``), but
    booleans are never numbers (``True != 1``), and object keys are compared as JSON strings.
``whitespace``
    Text is normalised before an exact comparison, precisely:

    1. line endings ``\\r\\n`` and ``\\r`` become ``\\n``;
    2. on every line, trailing whitespace is removed and every run of spaces/tabs that
       follows a non-whitespace character is collapsed into one space (leading indentation
       is kept as it is: it is significant);
    3. trailing empty lines are removed (so a missing or extra final newline does not matter).

    For function tests the normalisation applies to every string inside the JSON value.
``numeric``
    The text is split into whitespace-separated tokens; both sides need the same number of
    tokens. Two tokens match when both parse as finite floats and
    ``abs(actual - expected) <= max(tolerance, rel_tolerance * abs(expected))``, or when they
    are identical strings. For function tests every number inside the JSON value is compared
    that way (booleans excluded) and strings compare exactly.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any

from campus.sandbox.models import TestCase

_INNER_WS = re.compile(r"(?<=\S)[ \t\f\v]+")


def normalize_whitespace(text: str) -> str:
    """The ``whitespace`` normal form described in the module docstring."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [_INNER_WS.sub(" ", line.rstrip()) for line in lines]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


def _parse_number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _close(actual: float, expected: float, test: TestCase) -> bool:
    return abs(actual - expected) <= max(test.tolerance, test.rel_tolerance * abs(expected))


def _numeric_text_equal(actual: str, expected: str, test: TestCase) -> bool:
    got, want = actual.split(), expected.split()
    if len(got) != len(want):
        return False
    for a, e in zip(got, want, strict=True):
        if a == e:
            continue
        fa, fe = _parse_number(a), _parse_number(e)
        if fa is None or fe is None or not _close(fa, fe, test):
            return False
    return True


def text_matches(actual: str, expected: str, test: TestCase) -> bool:
    """Compare program output with the expected text according to ``test.comparison``."""
    if test.comparison == "exact":
        return actual == expected
    if test.comparison == "whitespace":
        return normalize_whitespace(actual) == normalize_whitespace(expected)
    return _numeric_text_equal(actual, expected, test)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def value_matches(actual: Any, expected: Any, test: TestCase) -> bool:
    """Compare a decoded JSON return value with the expected JSON value."""
    if _is_number(expected) or _is_number(actual):
        if not (_is_number(expected) and _is_number(actual)):
            return False
        if test.comparison == "numeric":
            return _close(float(actual), float(expected), test)
        return bool(actual == expected)
    if isinstance(expected, str) or isinstance(actual, str):
        if not (isinstance(expected, str) and isinstance(actual, str)):
            return False
        if test.comparison == "whitespace":
            return normalize_whitespace(actual) == normalize_whitespace(expected)
        return actual == expected
    if isinstance(expected, bool) or expected is None:
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list | tuple) or len(actual) != len(expected):
            return False
        return all(value_matches(a, e, test) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        want = {str(k): v for k, v in expected.items()}
        got = {str(k): v for k, v in actual.items()}
        if want.keys() != got.keys():
            return False
        return all(value_matches(got[k], want[k], test) for k in want)
    return False


def canonical_json(value: Any) -> str:
    """Stable, human-readable rendering used for output display and diffs."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [truncated, {len(text) - limit} more characters]"


def unified_diff(expected: str, actual: str, limit: int) -> str:
    """A truncated unified diff ``expected`` -> ``actual`` (visible tests only)."""
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile="expected",
        tofile="actual",
        n=2,
    )
    out: list[str] = []
    size = 0
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
        size += len(line)
        if size > limit:
            break
    return truncate("".join(out), limit)
