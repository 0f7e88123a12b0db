"""The grading runner: runs a submission against test cases in the local sandbox.

One sandboxed execution per test case (fresh job directory, fresh namespaces, fresh
process tree), so no state, file or process survives from one test to the next. Visible tests
run before hidden ones: even without bubblewrap (where a job could stash data in a shared
directory between its executions) nothing learned from a hidden test can surface in the output
of a visible test. Results are reported in the caller's order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import math
import os
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from campus.sandbox.command import SANDBOX_DIR, bwrap_command, namespace_mounts, sandbox_env
from campus.sandbox.execution import (
    ExecutionOutcome,
    ExecutionRequest,
    LaunchServer,
    execute,
    sweep_uid,
)
from campus.sandbox.judge import Judge, Judged, result_for
from campus.sandbox.launcher import SECCOMP_FD
from campus.sandbox.limits import SandboxLimits
from campus.sandbox.models import (
    RunReport,
    RunStatus,
    TestCase,
    TestResult,
    TestStatus,
    total_weight,
)
from campus.sandbox.node_harness import SOURCE as NODE_HARNESS
from campus.sandbox.probe import (
    SandboxEnvironment,
    SandboxLayers,
    probe_environment,
)
from campus.sandbox.tools import TOOL_DIR, ToolOutput, ToolRun, tool_output
from campus.sandbox.uidpool import UidLease, UidPool
from campus.sandbox.workspace import Workspace, sweep_files_of_uid

logger = logging.getLogger("campus.sandbox")

PYTHON_HARNESS = Path(__file__).with_name("harness.py").read_text(encoding="utf-8")
MAX_SOURCE_BYTES = 256 * 1024
_T = TypeVar("_T")


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


class LocalSandboxRunner:
    """:class:`CodeRunner` on the local host (see the package docstring for the layers).

    ``use_bubblewrap=None`` uses bubblewrap when the probe finds it working; ``False``
    disables it, ``True`` requires it (``start`` raises :class:`SandboxUnavailable` when it
    does not work). Without bubblewrap the launcher makes the namespaces itself (as root);
    ``use_namespaces=False`` disables that (tests of the weak sandbox only). Grading fails
    closed: when the jobs would not be isolated (no namespaces), every run ends ``ERROR``
    unless ``allow_weak=True`` (an explicit development setting) accepts the weaker sandbox;
    the layers then say ``weak=True``. ``uid_pool`` defaults to uids 61000..61063 (only used
    when running as root).
    ``workspace_root`` is where job directories are created (default: the temp directory; it
    must be traversable by the job uids). ``languages`` limits what is probed and accepted.
    ``zygote=False`` starts a one-shot launcher interpreter per execution instead of forking
    supervisors from the long-lived zygote launcher (same containment, ~2-3x the overhead;
    kept for comparison and as a fallback).
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
        zygote: bool = True,
        use_namespaces: bool | None = None,
        allow_weak: bool = False,
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
        self._use_namespaces = use_namespaces
        self.allow_weak = allow_weak
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
        # The zygote launcher: one per runner, started on the first execution.
        self._server = LaunchServer() if zygote else None

    def close(self) -> None:
        """Release the worker threads (running jobs finish first) and stop the launcher."""
        self._executor.shutdown(wait=True)
        if self._server is not None:
            self._server.close()

    @property
    def uid_pool(self) -> UidPool | None:
        return self._pool

    async def start(self) -> SandboxLayers:
        """Probe the host once (later calls return the cached result)."""
        return (await self._environment()).layers

    async def _environment(self) -> SandboxEnvironment:
        async with self._start_lock:
            if self._env is None:
                env = await asyncio.to_thread(
                    probe_environment,
                    uid_pool=self._pool,
                    use_bubblewrap=self._use_bubblewrap,
                    workspace_root=self._workspace_root,
                    probe_node="javascript" in self._languages,
                    server=self._server,
                    use_namespaces=self._use_namespaces,
                )
                if not env.layers.isolated:
                    if self.allow_weak:
                        logger.warning(
                            "sandbox: WEAK SANDBOX accepted by configuration (development "
                            "only): jobs are not isolated by namespaces (%s)",
                            "; ".join(env.layers.notes),
                        )
                        env = dataclasses.replace(
                            env, layers=dataclasses.replace(env.layers, weak=True)
                        )
                    else:
                        logger.error(
                            "sandbox: jobs cannot be isolated by namespaces here; grading is "
                            "refused (install bubblewrap or run the worker as root)"
                        )
                self._env = env
            return self._env

    def _refusal(self, env: SandboxEnvironment) -> str | None:
        """Why grading is refused on this host (fail closed), or ``None``."""
        if env.layers.isolated or self.allow_weak:
            return None
        return (
            "the sandbox cannot isolate jobs on this host (no mount, PID, network and IPC "
            "namespaces: install bubblewrap with `apt-get install bubblewrap`, or run the "
            "worker as root); grading is refused"
        )

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
        refusal = self._refusal(env)
        if refusal is not None:
            return _error_report(language, tests, env.layers, self.max_score, refusal)
        interpreter, binds = lang.interpreter(env)
        if interpreter is None:
            return _error_report(
                language, tests, env.layers, self.max_score, f"no sandbox runtime for {language}"
            )
        job = _Job(self, env, lang, interpreter, binds, source, limits)
        judged = await self._in_thread(job, functools.partial(job.grade, list(tests)))
        return self._report(language, tests, judged, env.layers)

    async def run_tools(
        self,
        language: str,
        source: str,
        runs: Sequence[ToolRun],
        limits: SandboxLimits,
    ) -> list[ToolOutput | None]:
        """Run trusted analysis programs (the sandbox's Python, ``ruff``) over ``source``, in
        the same sandbox as tests: one job (one uid lease), a fresh job directory per run.
        The submission is hostile input for these programs too. ``None`` for a tool that is
        not available in the sandbox on this host."""
        lang = _LANGUAGES.get(language) if language in self._languages else None
        if lang is None:
            raise UnsupportedLanguage(f"unsupported language {language!r}")
        _validate_source(source)
        env = await self._environment()
        if self._refusal(env) is not None:
            return [None for _run in runs]
        interpreter, binds = lang.interpreter(env)
        job = _Job(self, env, lang, interpreter or "", binds, source, limits)
        return await self._in_thread(job, functools.partial(job.tools, list(runs)))

    async def _in_thread(self, job: _Job, work: Callable[[], _T]) -> _T:
        """Run ``work`` in a sandbox thread under a uid lease held until the thread is done."""
        async with self._slots:
            lease: UidLease | None = None
            if self._pool is not None and job.env.layers.uid_switch:
                lease = await self._pool.acquire()
            job.lease(lease)
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, work)
            if lease is not None:  # the uid is free only when the thread is done with it
                future.add_done_callback(functools.partial(_release_when_done, lease))
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                job.cancelled.set()  # the thread stops after the current execution
                raise

    def _report(
        self,
        language: str,
        tests: Sequence[TestCase],
        judged: list[Judged],
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


def _release_when_done(lease: UidLease, _future: asyncio.Future[object]) -> None:
    lease.release()


def _validate_source(source: str) -> None:
    if not isinstance(source, str):
        raise TypeError("source must be str")
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise ValueError(f"source is larger than {MAX_SOURCE_BYTES} bytes")


def _validate(source: str, tests: Sequence[TestCase]) -> None:
    _validate_source(source)
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
        source: str,
        limits: SandboxLimits,
    ) -> None:
        self.runner = runner
        self.env = env
        self.lang = lang
        self.interpreter = interpreter
        self.binds = binds
        self.uid: int | None = None
        self.gid: int | None = None
        self.source = source.encode("utf-8", "surrogatepass")
        self.limits = limits
        self.cancelled = threading.Event()

    def lease(self, lease: UidLease | None) -> None:
        self.uid = lease.uid if lease else None
        self.gid = lease.gid if lease else None

    def grade(self, tests: list[TestCase]) -> list[Judged]:
        order = [t for t in tests if not t.hidden] + [t for t in tests if t.hidden]
        judged: dict[str, Judged] = {}
        with self._swept():
            for test in order:
                if self.cancelled.is_set():
                    cancelled = result_for(test, TestStatus.ERROR, error="cancelled")
                    judged[test.id] = Judged(cancelled, False)
                    continue
                try:
                    judged[test.id] = self._run_one(test)
                except Exception as exc:  # the worker itself failed (e.g. out of fds)
                    logger.exception("sandbox: could not run test %r", test.id)
                    failure = result_for(test, TestStatus.ERROR, error="sandbox failure")
                    judged[test.id] = Judged(failure, False, f"{type(exc).__name__}: {exc}")
        return [judged[t.id] for t in tests]

    def tools(self, runs: list[ToolRun]) -> list[ToolOutput | None]:
        outputs: list[ToolOutput | None] = []
        with self._swept():
            for run in runs:
                program = self._tool_program(run.tool)
                if program is None or self.cancelled.is_set():
                    outputs.append(None)
                    continue
                executable, tool_binds = program
                args = list(run.args)

                def inner(
                    path: str, executable: str = executable, args: list[str] = args
                ) -> list[str]:
                    return [executable, *(path if a == "{file}" else a for a in args)]

                try:
                    outcome = self._execute(
                        inner,
                        run.stdin,
                        address_space_limit=True,
                        tool_binds=tool_binds,
                    )
                except Exception:  # the worker itself failed
                    logger.exception("sandbox: could not run tool %r", run.tool)
                    outputs.append(None)
                    continue
                outputs.append(tool_output(run.tool, outcome, self.limits))
        return outputs

    def _tool_program(self, tool: str) -> tuple[str, dict[str, str]] | None:
        """``(executable as seen by the program, {path inside: host path} binds)``."""
        if tool == "python":
            python = self.env.python
            return None if python is None else (python, {})
        if tool == "ruff" and self.env.ruff is not None:
            if self.env.bwrap is None and not self.env.namespaces:
                return self.env.ruff, {}
            inside = f"{TOOL_DIR}/ruff"
            return inside, {inside: self.env.ruff}
        return None

    def _swept(self) -> _Sweep:
        return _Sweep(self.uid)

    def _run_one(self, test: TestCase) -> Judged:
        nonce = secrets.token_hex(16)
        mode = test.kind
        if mode == "stdio":
            stdin = test.input.encode("utf-8", "surrogatepass")
        else:
            stdin = json.dumps({"args": test.arguments()}, allow_nan=False).encode()

        def inner(path: str) -> list[str]:
            entry = self.runner.entrypoint
            return self.lang.argv(self.interpreter, mode, nonce, path, entry, self.limits)

        outcome = self._execute(inner, stdin, address_space_limit=self.lang.address_space_limit)
        return Judge(test, outcome, nonce, self.limits, self.runner.display_limit).judge()

    def _execute(
        self,
        inner: Callable[[str], list[str]],
        stdin: bytes,
        *,
        address_space_limit: bool,
        tool_binds: Mapping[str, str] | None = None,
    ) -> ExecutionOutcome:
        """One sandboxed execution over the staged submission (fresh job directory)."""
        bwrap = self.env.bwrap
        namespaces: dict[str, object] | None = None
        workspace = Workspace.create(self.runner._workspace_root, self.uid, self.gid)
        try:
            staged = workspace.stage(self.lang.filename, self.source)
            uid = self.uid if self.uid is not None else os.getuid()
            gid = self.gid if self.gid is not None else os.getgid()
            if bwrap is not None:
                argv = bwrap_command(
                    bwrap,
                    inner(f"{SANDBOX_DIR}/{self.lang.filename}"),
                    uid=uid,
                    gid=gid,
                    limits=self.limits,
                    files={self.lang.filename: staged},
                    extra_ro_binds=self.binds,
                    seccomp_fd=SECCOMP_FD if self.env.seccomp else None,
                    mapped_ro_binds=tool_binds or {},
                )
                cwd, home = "/", SANDBOX_DIR
            elif self.env.namespaces:
                argv = inner(f"{SANDBOX_DIR}/{self.lang.filename}")
                cwd = home = SANDBOX_DIR
                namespaces = {
                    "root": workspace.fs_dir,
                    "mounts": namespace_mounts(
                        uid=uid,
                        gid=gid,
                        limits=self.limits,
                        files={self.lang.filename: staged},
                        extra_ro_binds=self.binds,
                        mapped_ro_binds=tool_binds or {},
                    ),
                }
            else:  # the weak sandbox (development only, ``allow_weak``)
                argv = inner(staged)
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
                    address_space_limit=address_space_limit,
                    seccomp=self.env.seccomp,
                    seccomp_via_bwrap=bwrap is not None,
                    namespaces=namespaces,
                    cgroup=self.env.cgroup,
                ),
                nproc_relative=self.uid is None,
                server=self.runner._server,
            )
        except BaseException:
            if self.uid is not None:
                sweep_uid(self.uid)
            raise
        finally:
            workspace.remove()
            weak = bwrap is None and namespaces is None
            if self.uid is not None and self.gid is not None and weak:
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
        return outcome


class _Sweep:
    """Sweeps the job uid before the first and after the last execution of a job."""

    def __init__(self, uid: int | None) -> None:
        self.uid = uid

    def __enter__(self) -> None:
        if self.uid is not None:
            sweep_uid(self.uid)  # leftovers of a crashed worker, if any

    def __exit__(self, *exc: object) -> None:
        if self.uid is not None:
            # Defence in depth: the launcher already proved its subtree empty.
            leftovers = sweep_uid(self.uid)
            if leftovers:  # pragma: no cover - would be a kernel-level surprise
                logger.error("sandbox: %d process(es) of uid %d survived", leftovers, self.uid)
