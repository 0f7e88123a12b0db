"""The grading runner: runs a submission against test cases in the local sandbox.

One sandboxed execution per test case (fresh job directory, fresh namespaces, fresh
process tree), so no state, file or process survives from one test to the next. Visible tests
run before hidden ones: even without bubblewrap (where a job could stash data in a shared
directory between its executions) nothing learned from a hidden test can surface in the output
of a visible test. Results are reported in the caller's order.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
import secrets
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from campus.assessment.coding.sandbox.command import SANDBOX_DIR, bwrap_command, sandbox_env
from campus.assessment.coding.sandbox.compare import (
    canonical_json,
    text_matches,
    truncate,
    unified_diff,
    value_matches,
)
from campus.assessment.coding.sandbox.execution import (
    ExecutionOutcome,
    ExecutionRequest,
    execute,
    sweep_uid,
)
from campus.assessment.coding.sandbox.launcher import SECCOMP_FD
from campus.assessment.coding.sandbox.limits import SandboxLimits
from campus.assessment.coding.sandbox.models import (
    RunReport,
    RunStatus,
    TestCase,
    TestResult,
    TestStatus,
    total_weight,
)
from campus.assessment.coding.sandbox.node_harness import SOURCE as NODE_HARNESS
from campus.assessment.coding.sandbox.probe import (
    SandboxEnvironment,
    SandboxLayers,
    probe_environment,
)
from campus.assessment.coding.sandbox.uidpool import UidLease, UidPool
from campus.assessment.coding.sandbox.workspace import Workspace, sweep_files_of_uid

logger = logging.getLogger("campus.sandbox")

PYTHON_HARNESS = Path(__file__).with_name("harness.py").read_text(encoding="utf-8")
MAX_SOURCE_BYTES = 256 * 1024
_MEMORY_MARKERS = (
    b"MemoryError",
    b"JavaScript heap out of memory",
    b"Fatal process OOM",
    b"Cannot allocate memory",
)


class CodeRunner(Protocol):
    """Runs a submission against test cases and grades it."""

    async def run(
        self,
        language: str,
        source: str,
        tests: Sequence[TestCase],
        limits: SandboxLimits,
    ) -> RunReport: ...


class UnsupportedLanguage(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Language:
    name: str
    filename: str

    def interpreter(self, env: SandboxEnvironment) -> tuple[str | None, tuple[str, ...]]:
        if self.name == "python":
            return env.python, env.python_binds
        return env.node, env.node_binds

    def argv(
        self, interpreter: str, mode: str, nonce: str, path: str, entry: str, limits: SandboxLimits
    ) -> list[str]:
        if self.name == "python":
            harness = ["-I", "-S", "-B", "-X", "utf8", "-c", PYTHON_HARNESS]
            return [interpreter, *harness, mode, nonce, path, entry]
        heap_mb = max(16, limits.memory_bytes // (2 * 1024 * 1024))
        return [interpreter, f"--max-old-space-size={heap_mb}", "-e", NODE_HARNESS, mode, nonce,
                path, entry]  # fmt: skip

    @property
    def address_space_limit(self) -> bool:
        """V8 reserves gigabytes of address space up front: node gets RLIMIT_DATA instead."""
        return self.name == "python"


_LANGUAGES = {
    "python": _Language("python", "solution.py"),
    "javascript": _Language("javascript", "solution.js"),
}


@dataclass(frozen=True, slots=True)
class _Judged:
    result: TestResult
    executed: bool
    infra_error: str | None = None


class LocalSandboxRunner:
    """:class:`CodeRunner` on the local host (see the package docstring for the layers).

    ``use_bubblewrap=None`` uses bubblewrap when the probe finds it working; ``False``
    disables it. ``uid_pool`` defaults to uids 61000..61063 (only used when running as root).
    ``workspace_root`` is where job directories are created (default: the temp directory; it
    must be traversable by the job uids). ``languages`` limits what is probed and accepted.
    """

    def __init__(
        self,
        *,
        uid_pool: UidPool | None = None,
        use_bubblewrap: bool | None = None,
        workspace_root: str | None = None,
        max_score: float = 100.0,
        display_limit: int = 2000,
        entrypoint: str = "solve",
        languages: Sequence[str] = ("python", "javascript"),
        max_concurrency: int | None = None,
    ) -> None:
        if not entrypoint.isidentifier():
            raise ValueError("entrypoint must be an identifier")
        unknown = set(languages) - set(_LANGUAGES)
        if unknown:
            raise UnsupportedLanguage(f"unsupported language(s): {sorted(unknown)}")
        self._languages = tuple(languages)
        self._is_root = os.geteuid() == 0
        self._pool = uid_pool or (UidPool() if self._is_root else None)
        self._use_bubblewrap = use_bubblewrap
        self._workspace_root = workspace_root
        self.max_score = max_score
        self.display_limit = display_limit
        self.entrypoint = entrypoint
        self._env: SandboxEnvironment | None = None
        self._start_lock = asyncio.Lock()
        # One thread per running job; with a uid pool, a job holding a uid always has one.
        workers = max_concurrency or (self._pool.size if self._pool else (os.cpu_count() or 2))
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="campus-sandbox")
        self._slots = asyncio.Semaphore(workers)

    def close(self) -> None:
        """Release the worker threads (running jobs finish first)."""
        self._executor.shutdown(wait=True)

    @property
    def uid_pool(self) -> UidPool | None:
        return self._pool

    async def start(self) -> SandboxLayers:
        """Probe the host once (later calls return the cached result)."""
        return (await self._environment()).layers

    async def _environment(self) -> SandboxEnvironment:
        async with self._start_lock:
            if self._env is None:
                self._env = await asyncio.to_thread(
                    probe_environment,
                    uid_pool=self._pool,
                    use_bubblewrap=self._use_bubblewrap,
                    workspace_root=self._workspace_root,
                    probe_node="javascript" in self._languages,
                )
            return self._env

    async def languages(self) -> tuple[str, ...]:
        env = await self._environment()
        return tuple(
            name for name in self._languages if _LANGUAGES[name].interpreter(env)[0] is not None
        )

    async def run(
        self,
        language: str,
        source: str,
        tests: Sequence[TestCase],
        limits: SandboxLimits,
    ) -> RunReport:
        lang = _LANGUAGES.get(language) if language in self._languages else None
        if lang is None:
            raise UnsupportedLanguage(f"unsupported language {language!r}")
        _validate(source, tests)
        env = await self._environment()
        interpreter, binds = lang.interpreter(env)
        if interpreter is None:
            return _error_report(
                language, tests, env.layers, self.max_score, f"no sandbox runtime for {language}"
            )
        async with self._slots:
            lease: UidLease | None = None
            if self._pool is not None and env.layers.uid_switch:
                lease = await self._pool.acquire()
            cancelled = threading.Event()
            job = _Job(self, env, lang, interpreter, binds, lease, source, limits, cancelled)
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, job.grade, list(tests))
            if lease is not None:  # the uid is free only when the thread is done with it
                future.add_done_callback(functools.partial(_release_when_done, lease))
            try:
                judged = await asyncio.shield(future)
            except asyncio.CancelledError:
                cancelled.set()  # the thread stops after the current execution
                raise
        return self._report(language, tests, judged, env.layers)

    def _report(
        self,
        language: str,
        tests: Sequence[TestCase],
        judged: list[_Judged],
        layers: SandboxLayers,
    ) -> RunReport:
        total = total_weight(tests)
        earned = math.fsum(j.result.weight for j in judged if j.result.passed)
        score = round(earned / total * self.max_score, 6)
        executed = sum(1 for j in judged if j.executed)
        infra = [j.infra_error for j in judged if j.infra_error]
        if infra:
            status = RunStatus.ERROR
        elif executed == len(tests) and all(j.result.passed for j in judged):
            status = RunStatus.PASSED
        else:
            status = RunStatus.FAILED
        if infra:
            logger.error("sandbox infrastructure failure: %s", infra[0])
        return RunReport(
            status=status,
            score=score,
            max_score=self.max_score,
            results=tuple(j.result for j in judged),
            tests_executed=executed,
            tests_expected=len(tests),
            language=language,
            layers=layers,
            error=infra[0] if infra else None,
        )


def _release_when_done(lease: UidLease, _future: asyncio.Future[list[_Judged]]) -> None:
    lease.release()


def _validate(source: str, tests: Sequence[TestCase]) -> None:
    if not isinstance(source, str):
        raise TypeError("source must be str")
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise ValueError(f"source is larger than {MAX_SOURCE_BYTES} bytes")
    if not tests:
        raise ValueError("at least one test case is required")
    ids = [t.id for t in tests]
    if len(set(ids)) != len(ids):
        raise ValueError("test case ids must be unique")
    if total_weight(tests) <= 0:
        raise ValueError("the total weight of the test cases must be > 0")


def _error_report(
    language: str,
    tests: Sequence[TestCase],
    layers: SandboxLayers,
    max_score: float,
    message: str,
) -> RunReport:
    results = tuple(
        TestResult(
            id=t.id,
            passed=False,
            status=TestStatus.ERROR,
            time_ms=0.0,
            memory_kb=0,
            weight=t.weight,
            hidden=t.hidden,
            error=None if t.hidden else "not run: " + message,
        )
        for t in tests
    )
    return RunReport(
        status=RunStatus.ERROR,
        score=0.0,
        max_score=max_score,
        results=results,
        tests_executed=0,
        tests_expected=len(tests),
        language=language,
        layers=layers,
        error=message,
    )


class _Job:
    """The blocking part of one run (executed in a worker thread)."""

    def __init__(
        self,
        runner: LocalSandboxRunner,
        env: SandboxEnvironment,
        lang: _Language,
        interpreter: str,
        binds: tuple[str, ...],
        lease: UidLease | None,
        source: str,
        limits: SandboxLimits,
        cancelled: threading.Event,
    ) -> None:
        self.runner = runner
        self.env = env
        self.lang = lang
        self.interpreter = interpreter
        self.binds = binds
        self.uid = lease.uid if lease else None
        self.gid = lease.gid if lease else None
        self.source = source.encode("utf-8", "surrogatepass")
        self.limits = limits
        self.cancelled = cancelled

    def grade(self, tests: list[TestCase]) -> list[_Judged]:
        if self.uid is not None:
            sweep_uid(self.uid)  # leftovers of a crashed worker, if any
        order = [t for t in tests if not t.hidden] + [t for t in tests if t.hidden]
        judged: dict[str, _Judged] = {}
        try:
            for test in order:
                if self.cancelled.is_set():
                    cancelled = _result(test, TestStatus.ERROR, error="cancelled")
                    judged[test.id] = _Judged(cancelled, False)
                    continue
                try:
                    judged[test.id] = self._run_one(test)
                except Exception as exc:  # the worker itself failed (e.g. out of fds)
                    logger.exception("sandbox: could not run test %r", test.id)
                    failure = _result(test, TestStatus.ERROR, error="sandbox failure")
                    judged[test.id] = _Judged(failure, False, f"{type(exc).__name__}: {exc}")
        finally:
            if self.uid is not None:
                # Defence in depth: the launcher already proved its subtree empty.
                leftovers = sweep_uid(self.uid)
                if leftovers:  # pragma: no cover - would be a kernel-level surprise
                    logger.error("sandbox: %d process(es) of uid %d survived", leftovers, self.uid)
        return [judged[t.id] for t in tests]

    def _run_one(self, test: TestCase) -> _Judged:
        nonce = secrets.token_hex(16)
        mode = test.kind
        if mode == "stdio":
            stdin = test.input.encode("utf-8", "surrogatepass")
        else:
            stdin = json.dumps({"args": test.arguments()}, allow_nan=False).encode()
        bwrap = self.env.bwrap
        workspace = Workspace.create(self.runner._workspace_root, self.uid, self.gid)
        try:
            staged = workspace.stage(self.lang.filename, self.source)
            if bwrap is not None:
                inner = self.lang.argv(
                    self.interpreter,
                    mode,
                    nonce,
                    f"{SANDBOX_DIR}/{self.lang.filename}",
                    self.runner.entrypoint,
                    self.limits,
                )
                argv = bwrap_command(
                    bwrap,
                    inner,
                    uid=self.uid if self.uid is not None else os.getuid(),
                    gid=self.gid if self.gid is not None else os.getgid(),
                    limits=self.limits,
                    files={self.lang.filename: staged},
                    extra_ro_binds=self.binds,
                    seccomp_fd=SECCOMP_FD if self.env.seccomp else None,
                )
                cwd, home = "/", SANDBOX_DIR
            else:
                argv = self.lang.argv(
                    self.interpreter, mode, nonce, staged, self.runner.entrypoint, self.limits
                )
                cwd = home = workspace.job_dir
            outcome = execute(
                ExecutionRequest(
                    argv=argv,
                    env=sandbox_env(home),
                    cwd=cwd,
                    uid=self.uid,
                    gid=self.gid,
                    limits=self.limits,
                    stdin=stdin,
                    address_space_limit=self.lang.address_space_limit,
                    seccomp=self.env.seccomp,
                    seccomp_via_bwrap=bwrap is not None,
                ),
                nproc_relative=self.uid is None,
            )
        except BaseException:
            if self.uid is not None:
                sweep_uid(self.uid)
            raise
        finally:
            workspace.remove()
            if self.uid is not None and self.gid is not None and bwrap is None:
                sweep_files_of_uid(self.uid, self.gid)
        if self.uid is not None and (outcome.infra_error or outcome.survivors):
            # The launcher could not finish its own sweep (or died): ours is the last line.
            leftovers = sweep_uid(self.uid)
            logger.error(
                "sandbox: launcher reported %d survivor(s) (%s); %d left after our sweep",
                outcome.survivors,
                outcome.infra_error,
                leftovers,
            )
        return _Judge(test, outcome, nonce, self.limits, self.runner.display_limit).judge()


def _result(
    test: TestCase,
    status: TestStatus,
    *,
    outcome: ExecutionOutcome | None = None,
    output: str | None = None,
    diff: str | None = None,
    error: str | None = None,
) -> TestResult:
    hidden = test.hidden
    return TestResult(
        id=test.id,
        passed=status is TestStatus.PASSED,
        status=status,
        time_ms=round(outcome.wall_ms, 3) if outcome else 0.0,
        memory_kb=outcome.max_rss_kb if outcome else 0,
        weight=test.weight,
        hidden=hidden,
        output=None if hidden else output,
        diff=None if hidden else diff,
        error=None if hidden else error,
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


class _Judge:
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

    def _failure(self, status: TestStatus, error: str) -> _Judged:
        return _Judged(_result(self.test, status, outcome=self.outcome, error=error), False)

    def judge(self) -> _Judged:
        test, outcome = self.test, self.outcome
        if outcome.infra_error:
            return _Judged(
                _result(test, TestStatus.ERROR, outcome=outcome, error="sandbox failure"),
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
        if (
            outcome.timed_out
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
            return _Judged(
                _result(test, TestStatus.ERROR, outcome=outcome, error="sandbox failure"),
                False,
                message,
            )
        memory_hit = any(marker in outcome.stderr for marker in _MEMORY_MARKERS)
        if test.kind == "stdio":
            return self._judge_stdio(sig, memory_hit)
        return self._judge_function(frames, channel_error, sig, memory_hit)

    def _judge_stdio(self, sig: int | None, memory_hit: bool) -> _Judged:
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
        return _Judged(_result(self.test, status, outcome=outcome, output=output, diff=diff), True)

    def _judge_function(
        self,
        frames: list[dict[str, Any]],
        channel_error: str | None,
        sig: int | None,
        memory_hit: bool,
    ) -> _Judged:
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
        passed = value_matches(value, self.test.expected, self.test)
        status = TestStatus.PASSED if passed else TestStatus.FAILED
        rendered = canonical_json(value)
        diff = None
        if not passed:
            diff = unified_diff(canonical_json(self.test.expected), rendered, self.display)
        output = truncate(rendered, self.display)
        return _Judged(_result(self.test, status, outcome=outcome, output=output, diff=diff), True)


def _join(head: str, tail: str) -> str:
    return f"{head}\n{tail}" if tail else head
