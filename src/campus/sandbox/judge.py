"""Verdicts: turns one execution's outcome into a :class:`TestResult` (trusted code only).

Only trusted data decides a pass: the launcher's report, the bounded stdout of a stdio
program that exited cleanly, or exactly the frames ``ready`` + ``result`` with the execution's
nonce on the result channel (see ``harness.py``). Hidden tests never carry output, diff or
error text.
"""

from __future__ import annotations

import json
import math
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from campus.sandbox.compare import (
    canonical_json,
    text_matches,
    truncate,
    unified_diff,
    value_matches,
)
from campus.sandbox.execution import ExecutionOutcome
from campus.sandbox.limits import SandboxLimits
from campus.sandbox.models import TestCase, TestResult, TestStatus

MEMORY_MARKERS = (
    b"MemoryError",
    b"JavaScript heap out of memory",
    b"Fatal process OOM",
    b"Cannot allocate memory",
)


@dataclass(frozen=True, slots=True)
class Judged:
    result: TestResult
    executed: bool
    infra_error: str | None = None


#: Hidden tests report their time only to this granularity and no memory figure at all: a
#: precise figure would leak the hidden input bit by bit (SB-18).
HIDDEN_TIME_STEP_MS = 100.0


def _clean(text: str | None) -> str | None:
    """Text from the sandbox that is safe to store and serialise: lone surrogates (which
    JSON can carry but UTF-8 cannot encode) become U+FFFD."""
    if text is None:
        return None
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def has_lone_surrogate(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if depth > 200:
        return True
    if isinstance(value, list):
        return any(has_lone_surrogate(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(
            has_lone_surrogate(k, depth + 1) or has_lone_surrogate(v, depth + 1)
            for k, v in value.items()
        )
    return False


def result_for(
    test: TestCase,
    status: TestStatus,
    *,
    outcome: ExecutionOutcome | None = None,
    output: str | None = None,
    diff: str | None = None,
    error: str | None = None,
) -> TestResult:
    hidden = test.hidden
    time_ms = round(outcome.wall_ms, 3) if outcome else 0.0
    memory_kb = outcome.max_rss_kb if outcome else 0
    if hidden:
        time_ms = math.ceil(time_ms / HIDDEN_TIME_STEP_MS) * HIDDEN_TIME_STEP_MS
        memory_kb = 0
    return TestResult(
        id=test.id,
        passed=status is TestStatus.PASSED,
        status=status,
        time_ms=time_ms,
        memory_kb=memory_kb,
        weight=test.weight,
        hidden=hidden,
        output=None if hidden else _clean(output),
        diff=None if hidden else _clean(diff),
        error=None if hidden else _clean(error),
    )


class _ChannelError(Exception):
    pass


def parse_channel(channel: bytes, nonce: str, expected: Sequence[str]) -> list[dict[str, Any]]:
    """Frames ``<nonce> <json object>\\n`` from the result channel.

    The frames must be a prefix of ``expected`` (event names); anything else - foreign bytes,
    a wrong nonce, an unknown or repeated event, a truncated line - is a protocol violation.
    """
    try:
        text = channel.decode("ascii")
    except UnicodeDecodeError as exc:
        raise _ChannelError("non-ASCII data on the result channel") from exc
    if not text:
        return []
    if not text.endswith("\n"):
        raise _ChannelError("truncated frame on the result channel")
    frames: list[dict[str, Any]] = []
    prefix = nonce + " "
    for line in text[:-1].split("\n"):
        if not line.startswith(prefix):
            raise _ChannelError("foreign data on the result channel")
        try:
            frame = json.loads(line[len(prefix) :], parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise _ChannelError("malformed frame on the result channel") from exc
        if not isinstance(frame, dict) or len(frames) >= len(expected):
            raise _ChannelError("unexpected frame on the result channel")
        if frame.get("event") != expected[len(frames)]:
            raise _ChannelError("unexpected frame on the result channel")
        frames.append(frame)
    return frames


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class Judge:
    """Turns an execution outcome into a verdict. Only trusted data decides a pass."""

    def __init__(
        self,
        test: TestCase,
        outcome: ExecutionOutcome,
        nonce: str,
        limits: SandboxLimits,
        display_limit: int,
    ) -> None:
        self.test = test
        self.outcome = outcome
        self.nonce = nonce
        self.limits = limits
        self.display = display_limit

    def _stderr_tail(self) -> str:
        text = self.outcome.stderr.decode("utf-8", "replace").strip()
        return text[-self.display :]

    def _signal(self) -> int | None:
        """The fatal signal, also when it was reported as a bubblewrap exit code 128+N."""
        if self.outcome.signal is not None:
            return self.outcome.signal
        code = self.outcome.exit_code
        if code is not None and 128 < code <= 128 + 64:
            return code - 128
        return None

    def _failure(self, status: TestStatus, error: str) -> Judged:
        return Judged(result_for(self.test, status, outcome=self.outcome, error=error), False)

    def judge(self) -> Judged:
        test, outcome = self.test, self.outcome
        if outcome.infra_error:
            return Judged(
                result_for(test, TestStatus.ERROR, outcome=outcome, error="sandbox failure"),
                False,
                outcome.infra_error,
            )
        expected_events = ("ready",) if test.kind == "stdio" else ("ready", "result")
        try:
            frames = parse_channel(outcome.channel, self.nonce, expected_events)
            channel_error = None
        except _ChannelError as exc:
            frames, channel_error = [], str(exc)
        if outcome.overflow:
            return self._failure(
                TestStatus.OUTPUT_LIMIT,
                f"output limit exceeded: more than {self.limits.max_output_bytes} bytes "
                f"on {outcome.overflow}",
            )
        sig = self._signal()
        cpu_limit_ms = self.limits.cpu_rlimit[0] * 1000
        if outcome.memory_exceeded and not (outcome.exit_code == 0 and sig is None):
            return self._failure(TestStatus.MEMORY, "memory limit exceeded (whole program)")
        if (
            outcome.timed_out
            or outcome.cpu_exceeded
            or sig == signal.SIGXCPU
            or (sig == signal.SIGKILL and outcome.cpu_ms >= cpu_limit_ms * 0.95)
        ):
            which = "wall-clock" if outcome.timed_out else "CPU"
            return self._failure(TestStatus.TIMEOUT, f"time limit exceeded ({which})")
        if not frames and channel_error is None:
            # The harness writes "ready" before any learner code runs: the sandbox itself or
            # the interpreter failed to start. Never quote stderr of hidden tests.
            detail = "" if test.hidden else f": {self._stderr_tail()}"
            message = f"the sandbox could not start the program (exit {outcome.exit_code}){detail}"
            return Judged(
                result_for(test, TestStatus.ERROR, outcome=outcome, error="sandbox failure"),
                False,
                message,
            )
        memory_hit = any(marker in outcome.stderr for marker in MEMORY_MARKERS)
        if test.kind == "stdio":
            return self._judge_stdio(sig, memory_hit)
        return self._judge_function(frames, channel_error, sig, memory_hit)

    def _judge_stdio(self, sig: int | None, memory_hit: bool) -> Judged:
        outcome = self.outcome
        if memory_hit and (outcome.exit_code != 0 or sig is not None):
            return self._failure(TestStatus.MEMORY, "memory limit exceeded")
        if sig is not None or outcome.exit_code != 0:
            what = f"signal {sig}" if sig is not None else f"exit code {outcome.exit_code}"
            return self._failure(
                TestStatus.ERROR, _join(f"runtime error ({what})", self._stderr_tail())
            )
        actual = outcome.stdout.decode("utf-8", "replace")
        expected = str(self.test.expected)
        passed = text_matches(actual, expected, self.test)
        status = TestStatus.PASSED if passed else TestStatus.FAILED
        diff = None if passed else unified_diff(expected, actual, self.display)
        output = truncate(actual, self.display)
        return Judged(
            result_for(self.test, status, outcome=outcome, output=output, diff=diff), True
        )

    def _judge_function(
        self,
        frames: list[dict[str, Any]],
        channel_error: str | None,
        sig: int | None,
        memory_hit: bool,
    ) -> Judged:
        outcome = self.outcome
        if channel_error is not None:
            return self._failure(
                TestStatus.ERROR, f"the program interfered with the test harness ({channel_error})"
            )
        if len(frames) < 2:
            if memory_hit:
                return self._failure(TestStatus.MEMORY, "memory limit exceeded")
            what = f"signal {sig}" if sig is not None else f"exit code {outcome.exit_code}"
            return self._failure(
                TestStatus.ERROR,
                _join(
                    f"no result: the program ended before the function returned ({what})",
                    self._stderr_tail(),
                ),
            )
        if outcome.exit_code != 0 or sig is not None:
            return self._failure(TestStatus.ERROR, "the program did not exit cleanly")
        frame = frames[1]
        if frame.get("ok") is not True:
            exc_type = str(frame.get("exc_type", "Exception"))
            if exc_type == "MemoryError":
                return self._failure(TestStatus.MEMORY, "memory limit exceeded")
            trace = str(frame.get("traceback") or f"{exc_type}: {frame.get('message', '')}")
            return self._failure(TestStatus.ERROR, truncate(trace, self.display))
        if "value" not in frame:
            return self._failure(TestStatus.ERROR, "the program interfered with the test harness")
        value = frame["value"]
        if has_lone_surrogate(value):
            return Judged(
                result_for(
                    self.test,
                    TestStatus.FAILED,
                    outcome=outcome,
                    error="the return value is not valid Unicode (it holds a lone surrogate)",
                ),
                True,
            )
        passed = value_matches(value, self.test.expected, self.test)
        status = TestStatus.PASSED if passed else TestStatus.FAILED
        rendered = canonical_json(value)
        diff = None
        if not passed:
            diff = unified_diff(canonical_json(self.test.expected), rendered, self.display)
        output = truncate(rendered, self.display)
        return Judged(
            result_for(self.test, status, outcome=outcome, output=output, diff=diff), True
        )


def _join(head: str, tail: str) -> str:
    return f"{head}\n{tail}" if tail else head
