"""Runner side of one sandboxed execution: start the launcher, read bounded output, collect
the launcher's report. Blocking; the async runner calls it from a worker thread.

Pipes between the runner (trusted) and the execution:

* stdin: an unlinked temporary file opened read-only, holding exactly the test's input
  (stdio tests) or the harness's control message (function tests); nothing is inherited
  from the worker;
* stdout / stderr: read with a selector, at most ``max_output_bytes`` each; on overflow the
  runner asks the launcher to kill everything (closes the control pipe) and keeps draining
  and discarding until EOF, so a writer can never block the runner nor make it buffer more;
* result channel: a pipe that appears as fd 3 in the program (see ``harness.py``), bounded
  the same way;
* status: a pipe only the launcher holds (never inherited by the program): its report
  (marshal, see ``launcher.py``);
* control: the runner keeps the write end; closing it (or dying) stops the execution.

The launcher is either started per execution (``server=None``: one ``python launcher.py``
process, as the probe does) or is a supervisor forked by the worker's :class:`LaunchServer`
(the zygote, see ``launcher.py``), which receives the same configuration and the child ends of
the same pipes over a private socket. Everything above holds in both modes.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import selectors
import signal
import socket
import subprocess  # fixed argv only: our interpreter + launcher  # nosec B404
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campus.sandbox import launcher
from campus.sandbox.limits import SandboxLimits

LAUNCHER_PATH = str(Path(__file__).with_name("launcher.py"))
_STATUS_LIMIT = 64 * 1024
_BACKSTOP_SECONDS = 10.0  # beyond the wall budget: only if the launcher itself hangs
_READ_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: str
    uid: int | None
    gid: int | None
    limits: SandboxLimits
    stdin: bytes = b""
    address_space_limit: bool = True  # False: RLIMIT_DATA instead of RLIMIT_AS (node)
    seccomp: bytes | None = None  # compiled filter (see seccomp.py)
    seccomp_via_bwrap: bool = False  # True: handed to bubblewrap as fd 4 (``--seccomp 4``)
    #: The launcher's own namespaces (no bubblewrap): ``{"root": dir, "mounts": [...]}``
    namespaces: Mapping[str, Any] | None = None
    #: Per-job cgroup (see ``probe.find_job_cgroup``); ``None``: sampled whole-job usage
    cgroup: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """What happened. ``infra_error`` is set when the program could not be started at all."""

    infra_error: str | None
    exit_code: int | None
    signal: int | None
    timed_out: bool
    overflow: str | None  # "stdout" | "stderr" | "result" when a bound was hit
    stdout: bytes
    stderr: bytes
    channel: bytes
    wall_ms: float
    cpu_ms: float
    max_rss_kb: int
    survivors: int
    subreaper: bool
    memory_exceeded: bool = False  # the whole job went over its memory limit
    cpu_exceeded: bool = False  # the whole job used up its CPU time


def _stdin_file(data: bytes) -> int:
    """A read-only fd on an unlinked file holding ``data`` (invisible in any directory)."""
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        return os.open(f"/proc/self/fd/{handle.fileno()}", os.O_RDONLY | os.O_CLOEXEC)


class LaunchServer:
    """The worker's zygote launcher (``launcher.py --serve``), started on first use.

    Requests are sent over a ``SOCK_SEQPACKET`` socketpair (one message per execution, with
    its descriptors attached); a lock serialises sends from the runner's threads. If the
    zygote is gone (it exits when the socket closes; a bug could kill it) the next request
    starts a new one. ``kill`` is the backstop for a supervisor that never reports: it kills
    the zygote's whole process group (every supervisor of this worker; their programs die
    with them through ``PR_SET_PDEATHSIG``, stragglers are swept by uid) and the next request
    starts afresh.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        _SERVERS.add(self)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv  # nosec B603
                [sys.executable, "-I", "-S", "-B", LAUNCHER_PATH, "--serve", str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                close_fds=True,
                start_new_session=True,
                env={},
                cwd="/",
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours

    def submit(self, config: dict[str, Any], fds: Sequence[int]) -> None:
        """Hand one execution to the zygote (it forks its supervisor and closes its copies)."""
        message = marshal.dumps(config)
        with self._lock:
            for attempt in (1, 2):
                if self._sock is None or self._proc is None or self._proc.poll() is not None:
                    self._stop_locked()
                    self._start()
                assert self._sock is not None
                try:
                    socket.send_fds(self._sock, [message], list(fds))
                    return
                except OSError:
                    self._stop_locked()
                    if attempt == 2:
                        raise

    def _stop_locked(self, *, kill: bool = False) -> None:
        sock, proc = self._sock, self._proc
        self._sock = self._proc = None
        if sock is not None:
            sock.close()  # EOF: the zygote exits once its supervisors are forked
        if proc is None:
            return
        if kill:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            proc.wait(timeout=_BACKSTOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        with self._lock:
            self._stop_locked(kill=True)

    def close(self) -> None:
        """Stop the zygote (running supervisors finish their executions on their own)."""
        with self._lock:
            self._stop_locked()


_SERVERS: weakref.WeakSet[LaunchServer] = weakref.WeakSet()


def launch_server_pids() -> set[int]:
    """Pids of this process's live zygotes (tests exclude exactly these from leak checks)."""
    return {pid for server in list(_SERVERS) if (pid := server.pid) is not None}


def _config(request: ExecutionRequest, nproc_relative: bool) -> dict[str, Any]:
    limits = request.limits
    return {
        "argv": list(request.argv),
        "env": dict(request.env),
        "cwd": request.cwd,
        "uid": request.uid,
        "gid": request.gid,
        "rlimits": limits.rlimits(address_space=request.address_space_limit),
        "nproc_relative": nproc_relative,
        "wall_seconds": limits.wall_seconds,
        "seccomp": request.seccomp,
        "seccomp_via_bwrap": request.seccomp_via_bwrap,
        "namespaces": dict(request.namespaces) if request.namespaces else None,
        "cgroup": dict(request.cgroup) if request.cgroup else None,
        # Whole-job limits (cgroup, else sampled): memory and processes of the job together,
        # and its CPU time summed over every process.
        "job_limits": {"memory": limits.memory_bytes, "pids": limits.max_processes},
        "cpu_ms": int(limits.cpu_seconds * 1000),
    }


def execute(
    request: ExecutionRequest,
    *,
    nproc_relative: bool = False,
    server: LaunchServer | None = None,
) -> ExecutionOutcome:
    if server is not None:
        return _execute_via(server, request, nproc_relative)
    limits = request.limits
    stdin_fd = _stdin_file(request.stdin)
    result_r, result_w = os.pipe()
    status_r, status_w = os.pipe()
    control_r, control_w = os.pipe()
    config = _config(request, nproc_relative)
    config.update(status_fd=status_w, control_fd=control_r, result_fd=result_w)
    child_ends = [stdin_fd, result_w, status_w, control_r]
    try:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv  # nosec B603
            [sys.executable, "-I", "-S", "-B", LAUNCHER_PATH, marshal.dumps(config).hex()],
            stdin=stdin_fd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(result_w, status_w, control_r),
            close_fds=True,
            start_new_session=True,
            env={},
            cwd="/",
        )
    except BaseException:
        for fd in (*child_ends, result_r, status_r, control_w):
            os.close(fd)
        raise
    for fd in child_ends:
        os.close(fd)
    assert proc.stdout is not None
    assert proc.stderr is not None
    try:
        outcome, hung = _supervise(
            proc.stdout.fileno(), proc.stderr.fileno(), limits, result_r, status_r, control_w
        )
        if hung:
            proc.kill()
        try:
            proc.wait(timeout=_BACKSTOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return outcome
    finally:
        proc.stdout.close()
        proc.stderr.close()


def _execute_via(
    server: LaunchServer, request: ExecutionRequest, nproc_relative: bool
) -> ExecutionOutcome:
    stdin_fd = _stdin_file(request.stdin)
    pipes = [os.pipe() for _ in range(5)]  # stdout, stderr, result, status, control
    (out_r, out_w), (err_r, err_w), (result_r, result_w), (status_r, status_w) = pipes[:4]
    control_r, control_w = pipes[4]
    child_ends = [stdin_fd, out_w, err_w, status_w, control_r, result_w]
    ours = [out_r, err_r]
    try:
        server.submit(_config(request, nproc_relative), child_ends)
    except BaseException:
        for fd in (*child_ends, *ours, result_r, status_r, control_w):
            os.close(fd)
        raise
    for fd in child_ends:
        os.close(fd)
    try:
        outcome, hung = _supervise(out_r, err_r, request.limits, result_r, status_r, control_w)
    finally:
        for fd in ours:
            os.close(fd)
    if hung:
        server.kill()
    return outcome


def _supervise(
    stdout_r: int,
    stderr_r: int,
    limits: SandboxLimits,
    result_r: int,
    status_r: int,
    control_w: int,
) -> tuple[ExecutionOutcome, bool]:
    """Read every stream (bounded) until EOF; returns the outcome and whether the launcher
    hung (the caller kills it). Closes ``result_r``, ``status_r`` and ``control_w``."""
    names = {stdout_r: "stdout", stderr_r: "stderr", result_r: "result", status_r: "status"}
    buffers: dict[str, bytearray] = {name: bytearray() for name in names.values()}
    caps = {
        "stdout": limits.max_output_bytes,
        "stderr": limits.max_output_bytes,
        "result": limits.max_output_bytes + 4096,  # frames add a little framing
        "status": _STATUS_LIMIT,
    }
    overflow: str | None = None
    control_open = True
    backstop = time.monotonic() + limits.wall_seconds + _BACKSTOP_SECONDS
    hung = False
    owned = (result_r, status_r)
    with selectors.DefaultSelector() as selector:
        for fd in names:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = backstop - time.monotonic()
            if remaining <= 0:
                hung = True
                break
            for key, _mask in selector.select(remaining):
                fd = int(key.fd)
                data = os.read(fd, _READ_CHUNK)
                if not data:
                    selector.unregister(fd)
                    if fd in owned:
                        os.close(fd)
                    continue
                name = names[fd]
                buffer = buffers[name]
                room = caps[name] - len(buffer)
                if len(data) > room:
                    buffer += data[: max(room, 0)]
                    if overflow is None and name != "status":
                        overflow = name
                    if control_open:  # ask the launcher to kill everything now
                        os.close(control_w)
                        control_open = False
                else:
                    buffer += data
        for leftover in list(selector.get_map()):
            selector.unregister(leftover)
            if leftover in owned:
                os.close(leftover)
    if control_open:
        os.close(control_w)
    return _outcome(buffers, overflow, hung), hung


def _outcome(buffers: dict[str, bytearray], overflow: str | None, hung: bool) -> ExecutionOutcome:
    stdout, stderr, channel = (
        bytes(buffers["stdout"]),
        bytes(buffers["stderr"]),
        bytes(buffers["result"]),
    )
    report: dict[str, Any] = {}
    # The status pipe is written only by the trusted launcher (never inherited by the job).
    with contextlib.suppress(ValueError, EOFError, TypeError):
        decoded = marshal.loads(bytes(buffers["status"]))  # noqa: S302 - trusted  # nosec B302
        if isinstance(decoded, dict):
            report = decoded
    infra_error: str | None = None
    if hung:
        infra_error = "the sandbox launcher did not finish in time and was killed"
    elif not report:
        infra_error = "the sandbox launcher exited without a report"
        tail = stderr[-2000:].decode("utf-8", "replace").strip()
        if tail:
            infra_error += f": {tail}"
    elif not report.get("ok"):
        infra_error = str(report.get("error") or "the sandbox launcher failed")
    stop_reason = report.get("stop_reason")
    return ExecutionOutcome(
        infra_error=infra_error,
        exit_code=_opt_int(report.get("exit_code")),
        signal=_opt_int(report.get("signal")),
        timed_out=stop_reason == "timeout",
        overflow=overflow,
        stdout=stdout,
        stderr=stderr,
        channel=channel,
        wall_ms=float(report.get("wall_ms") or 0.0),
        cpu_ms=float(report.get("cpu_ms") or 0.0),
        max_rss_kb=int(report.get("max_rss_kb") or 0),
        survivors=int(report.get("survivors") or 0),
        subreaper=bool(report.get("subreaper")),
        memory_exceeded=bool(report.get("memory_exceeded")),
        cpu_exceeded=stop_reason == "cpu",
    )


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sweep_uid(uid: int) -> int:
    """The runner's own after-the-fact sweep (the launcher already did one)."""
    return launcher.sweep_uid(uid)
