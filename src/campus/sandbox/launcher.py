"""The trusted launcher: the only code that runs between the runner and the sandboxed program.

The runner starts ``<host python> -I -S -B launcher.py <config>`` (as root when the uid
layer is active) for every execution. The launcher

1. becomes a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so every descendant of the
   sandboxed program, however it daemonizes (double fork, ``setsid``), stays in its subtree
   and is reaped by it; orphans never escape to the host's init (which, in containers, often
   never reaps them: leftover zombies would count against ``RLIMIT_NPROC`` forever);
2. forks the child that calls ``setsid()``, applies the rlimits, drops to the job's uid/gid
   with no supplementary groups, sets ``no_new_privs``, moves the result-channel pipe to fd 3
   and ``execve``-s the program (bubblewrap or the interpreter) with an explicit, minimal
   environment;
3. waits until the child exits, the wall-clock budget is spent, or the runner asks it to stop
   (the runner closes the control pipe, which also happens automatically if the runner dies);
4. ``SIGKILL``-s the child's process group, then repeatedly kills every remaining descendant
   (scanning ``/proc``, signalling through pidfds so a recycled pid is never hit) and reaps
   them all, until it has no child left - which, for a subreaper, proves that no process of
   the execution is alive;
5. writes one report (exit status, wall time, CPU time, peak RSS, survivors) to the
   status pipe, which only it holds.

Why a separate launcher process rather than ``subprocess``'s ``preexec_fn``: ``preexec_fn``
runs Python code between ``fork`` and ``exec`` in a copy of a *multi-threaded* process (the
worker runs an event loop plus thread pools), which the Python documentation warns can
deadlock; it also could not outlive the ``exec`` to act as subreaper and supervisor. The
launcher is single-threaded, tiny, standard-library only and started with ``-I -S`` (no
environment variables, no site, no user paths), so nothing from the job can influence it.
It is executed as a script and must therefore not import anything from ``campus``.

Two ways to start it (same supervision code, same guarantees):

* *one shot*: ``launcher.py <config>`` supervises one execution and exits (the probe and
  tests use it);
* *zygote* (``launcher.py --serve <fd>``, what :class:`LocalSandboxRunner` uses): a
  long-lived, single-threaded launcher per worker process receives execution requests
  (configuration plus the execution's descriptors, ``SCM_RIGHTS``) on a private
  ``SOCK_SEQPACKET`` socket and forks one *supervisor* per execution, which does exactly what
  the one-shot launcher does (1-5 above) and exits. Forking an initialised launcher costs
  about a millisecond; starting a fresh interpreter and importing ``ctypes`` cost tens of
  milliseconds per test case. The zygote itself never runs submitted code, never reads an
  execution's input or output, keeps no descriptor of an execution after forking its
  supervisor, and exits when the worker closes the socket (or dies).

Its configuration (argv[1] or the request) and its report use :mod:`marshal`, not JSON:
``json`` pulls in ``re`` and would add ~10-15 ms to *every* test execution. Both ends are the
same trusted interpreter (the runner starts the launcher with ``sys.executable``) and nothing
produced by sandboxed code is ever unmarshalled.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import marshal
import os
import resource
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
RESULT_FD = 3
SECCOMP_FD = 4  # where bubblewrap finds the filter (``--seccomp 4``)
_HIGH_FD = 64
EXIT_LAUNCH_FAILED = 127
_REAP_SECONDS = 3.0


# --------------------------------------------------------------------------- /proc helpers
# (also used by the runner for its own after-the-fact sweep)


def _read_file(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def proc_info(pid: int) -> tuple[int, str, tuple[int, ...]] | None:
    """``(ppid, state, (ruid, euid, suid, fsuid))`` of a process, or ``None`` if it is gone."""
    status = _read_file(f"/proc/{pid}/status")
    if status is None:
        return None
    ppid, state = -1, "?"
    uids: tuple[int, ...] = ()
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key == "PPid":
            ppid = int(value)
        elif key == "State":
            state = value.strip()[:1]
        elif key == "Uid":
            uids = tuple(int(v) for v in value.split())
    return ppid, state, uids


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def live_pids_of_uid(uid: int) -> list[int]:
    """Processes (not zombies) whose real, effective, saved or filesystem uid is ``uid``."""
    found = []
    for pid in all_pids():
        info = proc_info(pid)
        if info is not None and info[1] != "Z" and uid in info[2]:
            found.append(pid)
    return found


def live_descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for pid in all_pids():
        info = proc_info(pid)
        if info is not None:
            children.setdefault(info[0], []).append(pid)
            states[pid] = info[1]
    found, todo = [], list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        if states.get(pid) != "Z":
            found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _is_descendant(pid: int, root: int) -> bool:
    seen = 0
    while pid > 1 and seen < 4096:
        info = proc_info(pid)
        if info is None:
            return False
        if info[0] == root:
            return True
        pid, seen = info[0], seen + 1
    return False


def kill_checked(pid: int, still_a_target: Callable[[int], bool]) -> bool:
    """SIGKILL ``pid`` if, once pinned by a pidfd, it is still a target (no pid-reuse race)."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return False
    try:
        if not still_a_target(pid):
            return False
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        return True
    except OSError:
        return False
    finally:
        os.close(pidfd)


def kill_uid(uid: int) -> int:
    """One round: SIGKILL every live process of ``uid``. Returns how many were signalled."""

    def owned(pid: int) -> bool:
        info = proc_info(pid)
        return info is not None and info[1] != "Z" and uid in info[2]

    return sum(kill_checked(pid, owned) for pid in live_pids_of_uid(uid))


def sweep_uid(uid: int, seconds: float = _REAP_SECONDS) -> int:
    """Kill every process of ``uid`` until none is left; returns the number still alive."""
    deadline = time.monotonic() + seconds
    while True:
        if not live_pids_of_uid(uid):
            return 0
        kill_uid(uid)
        if time.monotonic() > deadline:
            return len(live_pids_of_uid(uid))
        time.sleep(0.002)


# --------------------------------------------------------------------------- supervision


class _Prctl:
    """``prctl(2)`` through ctypes (the only non-trivial standard-library use here)."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.prctl.restype = ctypes.c_int

    def __call__(self, option: int, arg2: int, arg3: Any = 0) -> int:
        return int(self.libc.prctl(option, ctypes.c_ulong(arg2), arg3, 0, 0))

    def seccomp_program(self, program: bytes) -> Any:
        """A ``struct sock_fprog`` for ``program`` (built before fork, used in the child)."""

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        fprog._keep = buffer  # keep the buffer alive as long as the struct
        return fprog


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_all(fd: int, limit: int = 65536) -> bytes:
    chunks, size = [], 0
    while size < limit:
        data = os.read(fd, limit - size)
        if not data:
            break
        chunks.append(data)
        size += len(data)
    return b"".join(chunks)


def _move_high(fd: int) -> int:
    """Duplicate ``fd`` to a close-on-exec descriptor >= 64 and close the original."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)
    os.close(fd)
    return high


def _count_processes_of(uid: int) -> int:
    return len(live_pids_of_uid(uid))


def _child(
    config: dict[str, Any],
    fd_map: dict[int, int],
    err_w: int,
    prctl: _Prctl,
    fprog: Any,
) -> None:
    """In the forked child: confine ourselves, then exec. Never returns."""
    try:
        os.setsid()
        os.umask(0o077)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        is_root = os.geteuid() == 0
        for name, soft, hard in config["rlimits"]:
            res = getattr(resource, name)
            if not is_root:  # an unprivileged process can only lower its limits
                _cur_soft, cur_hard = resource.getrlimit(res)
                if cur_hard != resource.RLIM_INFINITY:
                    hard = min(hard, cur_hard)
                    soft = min(soft, hard)
            resource.setrlimit(res, (soft, hard))
        uid, gid = config.get("uid"), config.get("gid")
        if gid is not None:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
        if uid is not None:
            os.setresuid(uid, uid, uid)
            if os.getresuid() != (uid, uid, uid) or os.getgroups():
                raise PermissionError("could not drop privileges")
        # After the credential change (which clears it): die if the launcher dies.
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        for target, source in fd_map.items():  # sources are all >= 64: no clobbering
            os.dup2(source, target, inheritable=True)
            os.close(source)
        os.chdir(config["cwd"])
        argv = config["argv"]
        if (
            fprog is not None
            and prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog)) != 0
        ):
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
        os.execve(argv[0], argv, config["env"])  # noqa: S606 - no shell  # nosec B606
    except BaseException as exc:  # report and die: never fall through into the launcher
        try:
            _write_all(err_w, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
        finally:
            os._exit(EXIT_LAUNCH_FAILED)


def _reap_available() -> bool:
    """Reap every child that has exited; ``False`` once we have no children at all."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _terminate_everything(uid: int | None) -> int:
    """Kill and reap every descendant of the launcher; returns how many are still alive.

    As a subreaper we inherit every orphan of the job, so once we have no children left
    (after killing and reaping) no descendant is alive anywhere: nothing can leave a
    subreaper's subtree. Only if that cannot be established in time, every process of the
    job uid is swept as well (the runner sweeps the uid again at the end of each job).
    """
    me = os.getpid()
    deadline = time.monotonic() + _REAP_SECONDS

    def descendant(pid: int) -> bool:
        info = proc_info(pid)
        return info is not None and info[1] != "Z" and _is_descendant(pid, me)

    while _reap_available():
        for pid in live_descendants(me):
            kill_checked(pid, descendant)
        if not _reap_available():
            return 0
        if time.monotonic() > deadline:
            if uid is not None:
                sweep_uid(uid, 0.5)
            return len(live_descendants(me))
        time.sleep(0.001)
    return 0


def _decode_status(status: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status), None
    return None, None


def supervise(config: dict[str, Any], control_fd: int) -> dict[str, Any]:
    prctl = _Prctl()
    subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0
    rlimits = [list(item) for item in config["rlimits"]]
    if config.get("nproc_relative"):
        # Without a dedicated uid RLIMIT_NPROC counts all processes of our own uid.
        for item in rlimits:
            if item[0] == "RLIMIT_NPROC":
                item[1] = item[2] = item[2] + _count_processes_of(os.getuid())
    child_config = dict(config, rlimits=rlimits)
    fd_map: dict[int, int] = {}
    if config.get("result_fd") is not None:
        fd_map[RESULT_FD] = _move_high(int(config["result_fd"]))
    fprog = None
    seccomp: bytes | None = config.get("seccomp")
    if seccomp and config.get("seccomp_via_bwrap"):
        filter_r, filter_w = os.pipe()
        filter_r, filter_w = _move_high(filter_r), _move_high(filter_w)
        _write_all(filter_w, seccomp)  # a few hundred bytes: fits the pipe buffer
        os.close(filter_w)
        fd_map[SECCOMP_FD] = filter_r
    elif seccomp:
        fprog = prctl.seccomp_program(seccomp)
    err_r, err_w = os.pipe()
    err_r, err_w = _move_high(err_r), _move_high(err_w)

    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        _child(child_config, fd_map, err_w, prctl, fprog)
    os.close(err_w)
    for source in fd_map.values():
        os.close(source)
    launch_error = _read_all(err_r).decode("utf-8", "replace")
    os.close(err_r)
    if launch_error:
        os.waitpid(pid, 0)
        _terminate_everything(config.get("uid"))
        return {"ok": False, "error": f"could not start the sandboxed program: {launch_error}"}

    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(control_fd, select.POLLIN)
    deadline = started + float(config["wall_seconds"])
    stop_reason = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_reason = "timeout"
            break
        events = poller.poll(max(1, int(remaining * 1000) + 1))
        fds = {fd for fd, _event in events}
        if control_fd in fds:
            stop_reason = "requested"
            break
        if pidfd in fds:
            break
    finished = time.monotonic()
    # The child is alive or a zombie, so its pid (= its process group id) is still reserved.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    _pid, status, _usage = os.wait4(pid, 0)
    os.close(pidfd)
    survivors = _terminate_everything(config.get("uid"))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the whole reaped tree
    exit_code, signum = _decode_status(status)
    return {
        "ok": True,
        "exit_code": exit_code,
        "signal": signum,
        "stop_reason": stop_reason,
        "wall_ms": round((finished - started) * 1000, 3),
        "cpu_ms": round((usage.ru_utime + usage.ru_stime) * 1000, 3),
        "max_rss_kb": int(usage.ru_maxrss),
        "survivors": survivors,
        "subreaper": subreaper,
    }


def _run_one(config: dict[str, Any], status_fd: int, control_fd: int) -> None:
    """Supervise one execution and write its report (never raises)."""
    try:
        report = supervise(config, control_fd)
    except BaseException as exc:
        report = {"ok": False, "error": f"launcher failure: {type(exc).__name__}: {exc}"}
        try:
            _terminate_everything(config.get("uid"))
        except Exception as cleanup_error:
            report["error"] += f" (cleanup failed: {cleanup_error})"
    with contextlib.suppress(OSError):  # the runner may be gone: nobody to tell
        _write_all(status_fd, marshal.dumps(report))
    os.close(status_fd)


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    if len(args) == 3 and args[1] == "--serve":
        return serve(int(args[2]))
    config: dict[str, Any] = marshal.loads(bytes.fromhex(args[1]))  # noqa: S302  # nosec B302
    status_fd = _move_high(int(config["status_fd"]))
    control_fd = _move_high(int(config["control_fd"]))
    _run_one(config, status_fd, control_fd)
    return 0


# --------------------------------------------------------------------------- zygote

#: Descriptors of one request, in this order: stdin, stdout, stderr, status, control, result.
REQUEST_FDS = 6
MAX_REQUEST_BYTES = 256 * 1024


def _reap_supervisors() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass


def _serve_request(server: socket.socket, config: dict[str, Any], fds: list[int]) -> None:
    """In a freshly forked supervisor: take over the execution's descriptors, supervise,
    report, exit. Never returns."""
    try:
        server.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdin, stdout, stderr, status, control, result = fds
        for target, source in ((0, stdin), (1, stdout), (2, stderr)):
            os.dup2(source, target, inheritable=True)
            os.close(source)
        status_fd, control_fd = _move_high(status), _move_high(control)
        config = dict(config, result_fd=_move_high(result))
        _run_one(config, status_fd, control_fd)
    finally:
        os._exit(0)


def serve(sock_fd: int) -> int:
    """Zygote loop: one forked supervisor per request, until the runner closes the socket."""
    server = socket.socket(fileno=sock_fd)
    server.set_inheritable(False)
    _Prctl()  # load libc once: every supervisor inherits it already resolved
    while True:
        _reap_supervisors()
        try:
            message, fds, _flags, _addr = socket.recv_fds(server, MAX_REQUEST_BYTES, REQUEST_FDS)
        except InterruptedError:
            continue
        except OSError:
            break
        if not message:
            break  # the runner closed its end (or died): no more work will come
        try:
            config: dict[str, Any] = marshal.loads(message)  # noqa: S302 - runner  # nosec B302
            if len(fds) != REQUEST_FDS or not isinstance(config, dict):
                raise ValueError("malformed request")
            pid = os.fork()
            if pid == 0:  # pragma: no cover - supervisor child
                _serve_request(server, config, fds)
        except Exception as exc:  # report on the request's status pipe, keep serving
            if len(fds) == REQUEST_FDS:
                with contextlib.suppress(OSError):
                    _write_all(fds[3], marshal.dumps({"ok": False, "error": f"zygote: {exc}"}))
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
    server.close()
    _reap_supervisors()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
