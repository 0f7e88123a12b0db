"""SB-06, SB-14..SB-20: isolation by namespaces, not by clean-up (ADR 0024).

Every test runs against each supported layer stack (``sandbox`` fixture): bubblewrap, and the
launcher's own namespaces (``unshare``) with bubblewrap disabled. Each case is a hostile
submission from the audit of issue 12; the host-side observation is made by the test itself
(processes and threads of the job uids, System V IPC in ``/proc/sysvipc``, files in the host's
world-writable directories, connections seen by a listener the test runs)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from campus.sandbox import RunReport, RunStatus, SandboxLimits, TestCase, TestStatus
from campus.sandbox.limits import MiB
from tests.fixtures.sandbox import CONFINED, Canary, Sandbox

Contained = Callable[[Sandbox, RunReport], None]
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # noqa: S108


def stdio(
    test_id: str, expected: str = "never printed\n", given: str = "", **kw: object
) -> TestCase:
    return TestCase(test_id, "stdio", given, expected, **kw)  # type: ignore[arg-type]


def program(source: str, **values: object) -> str:
    source = textwrap.dedent(source)
    for key, value in values.items():
        source = source.replace(f"__{key.upper()}__", repr(value))
    return source


async def run(
    sandbox: Sandbox, source: str, *tests: TestCase, limits: SandboxLimits = CONFINED
) -> RunReport:
    report = await sandbox.runner.run("python", source, list(tests), limits)
    assert report.error is None, report.error
    return report


def output(report: RunReport, test_id: str) -> str:
    result = report.result(test_id)
    assert result.output is not None, (result.status, result.error)
    return result.output


def live_tasks_of_uids(targets: tuple[int, ...]) -> list[str]:
    """Every live *thread* of the given uids: a thread-group leader that exited while another
    thread runs shows as a zombie in ``/proc/<pid>/status``; its threads do not."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            state = fields.get("State", "?").split()[0]
            uids = {int(v) for v in fields.get("Uid", "").split()}
            if state not in ("Z", "X") and uids & set(targets):
                found.append(f"{pid}/{tid}")
    return found


def assert_no_live_task(sandbox: Sandbox) -> None:
    deadline = time.monotonic() + 2.0
    while True:
        left = live_tasks_of_uids(sandbox.uids)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == [], f"a thread of a job survived: {left}"


def sysv_objects_of(uids: tuple[int, ...]) -> list[str]:
    """System V shared memory, message queues and semaphores on the host owned by ``uids``."""
    found = []
    for kind in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = lines[0].split()
        for line in lines[1:]:
            row = dict(zip(header, line.split(), strict=False))
            if int(row.get("uid", -1)) in uids or int(row.get("cuid", -1)) in uids:
                found.append(f"{kind}:{row.get('key')}")
    return found


def host_files_of(uids: tuple[int, ...]) -> list[str]:
    found = []
    for root in WORLD_WRITABLE:
        if not os.path.isdir(root):
            continue
        for entry in os.scandir(root):
            try:
                if entry.stat(follow_symlinks=False).st_uid in uids:
                    found.append(entry.path)
            except OSError:
                continue
    return found


# ------------------------------------------------------------------------------ SB-14

SURVIVOR = """
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
SYS_exit = {"x86_64": 60, "aarch64": 93}[os.uname().machine]
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    def linger():
        # keeps stdout open and lives on after the thread-group leader is gone
        while True:
            try:
                with open(__MARK__, "a") as handle:
                    handle.write("x")
            except OSError:
                pass
            time.sleep(0.05)
    threading.Thread(target=linger, daemon=False).start()
    os.write(w, b"1")
    libc.syscall(SYS_exit, 0)  # only the main thread exits: the leader becomes a zombie
else:
    os.read(r, 1)
    print("parent done")
"""


class TestSB14NothingOutlivesItsJob:
    async def test_fork_setsid_thread_and_raw_exit_leave_no_survivor(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        mark = f"/tmp/campus-survivor-{secrets.token_hex(4)}"  # noqa: S108
        started = time.monotonic()
        report = await run(sandbox, program(SURVIVOR, mark=mark), stdio("survivor"))
        took = time.monotonic() - started
        assert_no_live_task(sandbox)
        assert took < 8, f"the runner waited {took:.1f} s on a survivor holding stdout"
        # The host /tmp never received the survivor's file (it is the job's own /tmp).
        assert not os.path.exists(mark)
        contained(sandbox, report)

    async def test_a_survivor_does_not_fail_a_concurrent_job(self, sandbox: Sandbox) -> None:
        mark = f"/tmp/campus-survivor-{secrets.token_hex(4)}"  # noqa: S108
        good = "print(input())\n"
        hostile_run = run(sandbox, program(SURVIVOR, mark=mark), stdio("survivor"))
        honest_runs = [
            run(sandbox, good, stdio(f"echo{i}", "hi\n", "hi\n"), limits=CONFINED) for i in range(2)
        ]
        reports = await asyncio.gather(hostile_run, *honest_runs)
        for report in reports[1:]:
            assert report.status is RunStatus.PASSED, report
        assert_no_live_task(sandbox)


# ------------------------------------------------------------------------------ SB-15

PIDFD = """
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
arch = os.uname().machine
NR = {"x86_64": {"pidfd_open": 434, "pidfd_getfd": 438, "process_vm_readv": 310},
      "aarch64": {"pidfd_open": 434, "pidfd_getfd": 438, "process_vm_readv": 270}}[arch]
out = []
pidfd = libc.syscall(NR["pidfd_open"], os.getpid(), 0)
out.append("pidfd_open:" + ("ok" if pidfd >= 0 else errno.errorcode[ctypes.get_errno()]))
target = pidfd if pidfd >= 0 else 0
fd = libc.syscall(NR["pidfd_getfd"], target, 1, 0)
out.append("pidfd_getfd:" + ("ok" if fd >= 0 else errno.errorcode[ctypes.get_errno()]))
pids = [p for p in os.listdir("/proc") if p.isdigit()]
out.append(f"processes:{len(pids)}")
print(" ".join(out))
"""


class TestSB15NoReachIntoOtherJobs:
    async def test_pidfd_getfd_and_pidfd_open_are_refused(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        report = await run(sandbox, PIDFD, stdio("pidfd"))
        text = output(report, "pidfd")
        assert "pidfd_open:EPERM" in text, text
        assert "pidfd_getfd:EPERM" in text, text
        contained(sandbox, report)

    async def test_the_job_sees_only_its_own_processes(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        report = await run(sandbox, PIDFD, stdio("pidfd"))
        count = int(output(report, "pidfd").rsplit("processes:", 1)[1].split()[0])
        assert count <= 4, f"the job saw {count} processes"
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-16

SYSV = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
made = []
key = __KEY__
if libc.shmget(key, 4096, IPC_CREAT | 0o666) >= 0:
    made.append("shm")
if libc.msgget(key + 1, IPC_CREAT | 0o666) >= 0:
    made.append("msg")
if libc.semget(key + 2, 1, IPC_CREAT | 0o666) >= 0:
    made.append("sem")
print(" ".join(made))
"""

FLOOD = """
import os
written = []
os.makedirs("/dev/shm/flood", exist_ok=True)
base = "/dev/shm/flood/base"
open(base, "w").close()
for i in range(__LINKS__):
    try:
        os.link(base, f"/dev/shm/flood/l{i}")
    except OSError:
        break
for directory in ("/tmp", "/var/tmp", "/run/lock", "/dev/shm"):
    try:
        with open(os.path.join(directory, "left-behind-" + __TAG__), "w") as handle:
            handle.write(__SECRET__)
        written.append(directory)
    except OSError:
        pass
print(" ".join(written))
"""

READ_BACK = """
import os
found = []
for directory in ("/tmp", "/var/tmp", "/run/lock", "/dev/shm"):
    try:
        with open(os.path.join(directory, "left-behind-" + __TAG__)) as handle:
            found.append(directory + "=" + handle.read())
    except OSError:
        pass
print("found:", " ".join(found))
"""


class TestSB16NothingIsLeftBehind:
    async def test_system_v_ipc_objects_do_not_survive(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        key = 0x5A000000 + secrets.randbelow(0xFFFF) * 4
        report = await run(sandbox, program(SYSV, key=key), stdio("sysv"))
        assert "shm" in output(report, "sysv")  # the program could create them ...
        assert sysv_objects_of(sandbox.uids or (os.getuid(),)) == []  # ... none outlived it
        contained(sandbox, report)

    async def test_a_flooded_cleanup_leaves_nothing_for_the_next_job(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        tag, secret = secrets.token_hex(4), "HIDDEN-" + secrets.token_hex(6)
        flood = program(FLOOD, links=100_000, tag=tag, secret=secret)
        report = await run(sandbox, flood, stdio("flood", hidden=True))
        assert host_files_of(sandbox.uids) == []
        later = await run(sandbox, program(READ_BACK, tag=tag), stdio("later"))
        assert secret not in output(later, "later")
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-06

CONNECT = """
import socket
out = []
try:
    socket.create_connection(("127.0.0.1", __PORT__), timeout=0.5).close()
    out.append("tcp:connected")
except OSError as exc:
    out.append(f"tcp:{type(exc).__name__}")
for label, address in (("unix", __PATH__), ("abstract", __ABSTRACT__)):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.5)
        s.connect(address)
        s.close()
        out.append(f"{label}:connected")
    except OSError as exc:
        out.append(f"{label}:{type(exc).__name__}")
print(" ".join(out))
"""


@pytest.fixture
def unix_listener() -> Iterator[tuple[str, str, socket.socket, socket.socket]]:
    directory = tempfile.mkdtemp(prefix="campus-sock-")
    os.chmod(directory, 0o755)  # noqa: S103 - reachable by the job uid on purpose
    path = os.path.join(directory, "api.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)  # noqa: S103 - connectable by the job uid on purpose
    listener.listen(8)
    listener.setblocking(False)
    abstract_name = "\0campus-test-" + secrets.token_hex(4)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(abstract_name)
    abstract.listen(8)
    abstract.setblocking(False)
    yield path, abstract_name, listener, abstract
    listener.close()
    abstract.close()
    os.unlink(path)
    os.rmdir(directory)


def _accepted(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


class TestSB06NoHostServices:
    async def test_loopback_tcp_and_unix_sockets_are_unreachable(
        self,
        sandbox: Sandbox,
        contained: Contained,
        unix_listener: tuple[str, str, socket.socket, socket.socket],
    ) -> None:
        path, abstract_name, listener, abstract = unix_listener
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        tcp.setblocking(False)
        port = tcp.getsockname()[1]
        try:
            source = program(CONNECT, port=port, path=path, abstract=abstract_name)
            report = await run(sandbox, source, stdio("connect"))
            text = output(report, "connect")
            assert "connected" not in text, text
            assert _accepted(tcp) == 0
            assert _accepted(listener) == 0
            assert _accepted(abstract) == 0
            # Positive control: the listeners do accept connections from the host.
            socket.create_connection(("127.0.0.1", port)).close()
            time.sleep(0.05)
            assert _accepted(tcp) == 1
        finally:
            tcp.close()
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-19

READ_FILES = """
import os
out = []
for label, path in __PATHS__:
    try:
        with open(path, "rb") as handle:
            out.append(label + ":" + handle.read().decode(errors="replace").strip())
    except OSError as exc:
        out.append(f"{label}:{type(exc).__name__}")
try:
    out.append("listed:" + ",".join(os.listdir(os.path.dirname(__PATHS__[0][1]))))
except OSError as exc:
    out.append(f"listed:{type(exc).__name__}")
print(" ".join(out))
"""


class TestSB19HostFilesAreInvisible:
    async def test_a_world_readable_canary_outside_the_workspace_is_unreadable(
        self, sandbox: Sandbox, canary: Canary, contained: Contained
    ) -> None:
        paths = [("public", str(canary.public_file)), ("secret", str(canary.secret_file))]
        report = await run(sandbox, program(READ_FILES, paths=paths), stdio("read"))
        text = output(report, "read")
        assert canary.marker not in text, text
        assert canary.secret not in text
        contained(sandbox, report)

    async def test_the_database_of_a_default_data_directory_is_unreadable(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        data_dir = Path(tempfile.mkdtemp(prefix="campus-data-"))
        try:
            data_dir.chmod(0o755)  # a data directory laid out with the old defaults
            database = data_dir / "campus.db"
            secret = "argon2id$HASH-" + secrets.token_hex(8)
            database.write_text(secret)
            database.chmod(0o644)
            report = await run(
                sandbox, program(READ_FILES, paths=[("db", str(database))]), stdio("db")
            )
            text = output(report, "db")
            assert secret not in text, text
            assert "campus.db" not in text, text
        finally:
            for item in data_dir.iterdir():
                item.unlink()
            data_dir.rmdir()
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-17

MEMORY_CHILDREN = """
import os, time
children, r, w = [], *os.pipe()
for _ in range(__N__):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(__BLOCK__)
            for i in range(0, len(block), 4096):
                block[i] = 1
            os.write(w, b"+")
            time.sleep(3)
        finally:
            os._exit(0)
    children.append(pid)
os.close(w)
time.sleep(2)
reported = len(os.read(r, 1000))
alive = sum(1 for pid in children if os.waitpid(pid, os.WNOHANG) == (0, 0))
print(f"held={min(reported, alive)}")  # holding 100 MiB each, all at the same time
"""

CPU_CHILDREN = """
import mmap, os, struct, time
slots = mmap.mmap(-1, 8 * __N__)
for index in range(__N__):
    if os.fork() == 0:
        try:
            while True:
                for _ in range(20000):
                    pass
                slots[8 * index: 8 * index + 8] = struct.pack("d", time.process_time())
        finally:
            os._exit(0)
deadline = time.monotonic() + __SLEEP__
total = 0.0
while total < __ENOUGH__ and time.monotonic() < deadline:
    time.sleep(0.05)
    total = sum(struct.unpack("d", slots[8 * i: 8 * i + 8])[0] for i in range(__N__))
print(f"cpu={total:.2f}")
"""


class TestSB17WholeJobLimits:
    async def test_memory_is_limited_for_the_whole_job_not_per_process(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        limits = SandboxLimits(
            cpu_seconds=5, wall_seconds=6, memory_bytes=256 * MiB, max_processes=32
        )
        source = program(MEMORY_CHILDREN, n=8, block=100 * MiB)
        report = await run(sandbox, source, stdio("memory"), limits=limits)
        result = report.result("memory")
        if result.output is not None and result.output.startswith("held="):
            held = int(result.output.split("=")[1])
            assert held * 100 <= 256, f"{held} children held 100 MiB each at once"
        else:
            assert result.status in (TestStatus.MEMORY, TestStatus.ERROR), result
        contained(sandbox, report)

    async def test_cpu_time_is_limited_for_the_whole_job_not_per_process(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        # Children spin until they have used 1.6 s of CPU together (each stays under its own
        # 1 s RLIMIT_CPU): a per-process limit lets them, a whole-job limit kills them first.
        limits = SandboxLimits(cpu_seconds=1, wall_seconds=12, max_processes=32)
        source = program(CPU_CHILDREN, n=4, sleep=10.0, enough=1.6)
        report = await run(sandbox, source, stdio("cpu"), limits=limits)
        result = report.result("cpu")
        if result.output is not None and result.output.startswith("cpu="):
            total = float(result.output.split("=")[1])
            assert total <= 1.5, f"the job used {total} s of CPU with a 1 s limit"
        else:
            assert result.status is TestStatus.TIMEOUT, result
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-18

ALLOCATE_BY_INPUT = """
def solve(n):
    block = bytearray(n * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return 0
"""


class TestSB18HiddenFiguresRevealNothing:
    async def test_memory_figures_of_hidden_tests_do_not_depend_on_the_input(
        self, sandbox: Sandbox
    ) -> None:
        tests = [
            TestCase("small", "function", [1], 1, hidden=True),
            TestCase("large", "function", [60], 1, hidden=True),
        ]
        report = await run(sandbox, ALLOCATE_BY_INPUT, *tests)
        small, large = report.result("small"), report.result("large")
        assert small.memory_kb == large.memory_kb, (small.memory_kb, large.memory_kb)
        assert small.status is large.status is TestStatus.FAILED


# ------------------------------------------------------------------------------ SB-20


class TestSB20HostileReturnValues:
    async def test_a_lone_surrogate_gives_a_verdict_that_encodes(
        self, sandbox: Sandbox, contained: Contained
    ) -> None:
        source = (
            "def solve(x):\n"
            "    if x == 'raise':\n"
            "        raise ValueError('\\udcff bad \\ud800')\n"
            "    return '\\ud800' + x\n"
        )
        tests = [
            TestCase("value", "function", ["a"], "a"),
            TestCase("error", "function", ["raise"], "a"),
        ]
        report = await run(sandbox, source, *tests)
        assert report.status is RunStatus.FAILED
        for result in report.results:
            assert not result.passed
            assert result.status in (TestStatus.FAILED, TestStatus.ERROR)
        # Everything in the report is valid UTF-8 (what the API serialises).
        json.dumps(asdict(report), default=str, ensure_ascii=False).encode("utf-8")
        contained(sandbox, report)


# ------------------------------------------------------------------------------ fail closed


class TestFailClosed:
    async def test_grading_is_refused_without_namespaces(self, workspace_root: Path) -> None:
        from campus.sandbox import LocalSandboxRunner, UidPool
        from tests.fixtures.sandbox import IS_ROOT, TEST_FIRST_UID, TEST_POOL_SIZE

        runner = LocalSandboxRunner(
            uid_pool=UidPool(TEST_FIRST_UID, TEST_POOL_SIZE) if IS_ROOT else None,
            use_bubblewrap=False,
            use_namespaces=False,
            workspace_root=str(workspace_root),
            languages=("python",),
        )
        try:
            layers = await runner.start()
            assert not layers.isolated
            assert not layers.weak
            report = await runner.run("python", "print(1)\n", [stdio("t", "1\n")], CONFINED)
            assert report.status is RunStatus.ERROR
            assert report.error is not None
            assert "apt-get install bubblewrap" in report.error
            assert report.tests_executed == 0
            tools = await runner.run_tools("python", "x = 1\n", [], CONFINED)
            assert tools == []
        finally:
            runner.close()

    async def test_the_weak_sandbox_runs_only_when_accepted_explicitly(
        self, weak_sandbox: Sandbox
    ) -> None:
        assert weak_sandbox.layers.weak
        assert not weak_sandbox.layers.isolated
        assert weak_sandbox.layers.isolation == "none"
        report = await run(weak_sandbox, "print(input())\n", stdio("echo", "hi\n", "hi\n"))
        assert report.status is RunStatus.PASSED
        assert_no_live_task(weak_sandbox)

    async def test_the_weak_sandbox_still_bounds_whole_job_cpu(self, weak_sandbox: Sandbox) -> None:
        limits = SandboxLimits(cpu_seconds=1, wall_seconds=12, max_processes=32)
        source = program(CPU_CHILDREN, n=4, sleep=10.0, enough=1.6)
        report = await run(weak_sandbox, source, stdio("cpu"), limits=limits)
        result = report.result("cpu")
        if result.output is not None and result.output.startswith("cpu="):
            assert float(result.output.split("=")[1]) <= 1.5
        else:
            assert result.status is TestStatus.TIMEOUT, result
        assert_no_live_task(weak_sandbox)


class TestSampledWholeJobLimits:
    """Without a writable cgroup the launcher samples the job's CPU and memory (the weaker
    bound of ADR 0024): still whole-job, not per process."""

    async def test_cpu_and_memory_are_bounded_for_the_whole_job_without_cgroups(
        self, workspace_root: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from campus.sandbox import LocalSandboxRunner, UidPool
        from campus.sandbox import probe as probe_module
        from tests.fixtures.sandbox import IS_ROOT, TEST_FIRST_UID, TEST_POOL_SIZE

        monkeypatch.setattr(probe_module, "find_job_cgroup", lambda notes: None)
        runner = LocalSandboxRunner(
            uid_pool=UidPool(TEST_FIRST_UID, TEST_POOL_SIZE) if IS_ROOT else None,
            use_bubblewrap=False,
            workspace_root=str(workspace_root),
            languages=("python",),
        )
        try:
            layers = await runner.start()
            assert layers.job_limits == "sampled"
            limits = SandboxLimits(cpu_seconds=1, wall_seconds=12, max_processes=32)
            source = program(CPU_CHILDREN, n=4, sleep=10.0, enough=1.6)
            report = await runner.run("python", source, [stdio("cpu")], limits)
            result = report.result("cpu")
            if result.output is not None and result.output.startswith("cpu="):
                assert float(result.output.split("=")[1]) <= 1.5
            else:
                assert result.status is TestStatus.TIMEOUT, result
            limits = SandboxLimits(
                cpu_seconds=5, wall_seconds=6, memory_bytes=256 * MiB, max_processes=32
            )
            source = program(MEMORY_CHILDREN, n=8, block=100 * MiB)
            report = await runner.run("python", source, [stdio("memory")], limits)
            result = report.result("memory")
            if result.output is not None and result.output.startswith("held="):
                assert int(result.output.split("=")[1]) * 100 <= 256
            else:
                assert result.status is TestStatus.MEMORY, result
        finally:
            runner.close()
