"""SB-01..SB-13: hostile submissions. Every test asserts the verdict (no pass), that the host
is untouched (canary files hashed before/after, /etc/passwd too), that no process of the job
uid (nor any child of ours) survives, and that the job directory is gone (``contained``).

Each runs against both layer stacks (``sandbox`` fixture): bubblewrap + dedicated uid +
rlimits, and the launcher's own namespaces + cgroup + dedicated uid + rlimits without
bubblewrap (ADR 0024)."""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import socket
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from campus.sandbox import RunReport, SandboxLimits, TestCase, TestStatus
from tests.fixtures.sandbox import CONFINED, HOSTILE, IS_ROOT, Canary, Sandbox

REPO = Path(__file__).resolve().parents[3]
Contained = Callable[[Sandbox, RunReport], None]


def stdio(test_id: str, expected: str = "never printed\n", given: str = "") -> TestCase:
    return TestCase(test_id, "stdio", given, expected)


def function(test_id: str, args: list[object], expected: object, hidden: bool = False) -> TestCase:
    return TestCase(test_id, "function", args, expected, hidden=hidden)


def program(source: str, **values: object) -> str:
    source = textwrap.dedent(source)
    for key, value in values.items():
        source = source.replace(f"__{key.upper()}__", repr(value))
    return source


async def run(
    sandbox: Sandbox, source: str, *tests: TestCase, limits: SandboxLimits = CONFINED
) -> RunReport:
    """Run with CONFINED limits (5 s wall); tests that must hit the wall pass HOSTILE (1 s)."""
    report = await sandbox.runner.run("python", source, list(tests), limits)
    assert report.error is None, report.error  # hostile code is never an infrastructure error
    return report


def assert_nothing_passed(report: RunReport) -> None:
    assert report.score == 0
    assert not any(r.passed for r in report.results)


# ------------------------------------------------------------------------------ SB-01


async def test_sb01_fork_bomb_is_capped_and_killed(sandbox: Sandbox, contained: Contained) -> None:
    source = """
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """
    report = await run(sandbox, program(source), stdio("fork-bomb"), limits=HOSTILE)
    assert report.result("fork-bomb").status is TestStatus.TIMEOUT
    assert_nothing_passed(report)
    contained(sandbox, report)


async def test_sb01_thread_bomb_is_capped(sandbox: Sandbox, contained: Contained) -> None:
    source = """
    import os, sys, threading, time
    started = 0
    try:
        while True:
            threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
            started += 1
    except BaseException as exc:
        print("threads", started, type(exc).__name__, flush=True)
    os._exit(0)
    """
    report = await run(sandbox, program(source), stdio("thread-bomb"))
    result = report.result("thread-bomb")
    assert result.status is TestStatus.FAILED
    assert result.output is not None
    assert result.output.startswith("threads ")
    assert int(result.output.split()[1]) < HOSTILE.max_processes
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-02


async def test_sb02_memory_hogs_hit_the_memory_limit(
    sandbox: Sandbox, contained: Contained
) -> None:
    at_once = "x = bytearray(1 << 30)\nprint('allocated')\n"
    gradual = "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 20))\n"
    in_function = "def solve():\n    return len(bytearray(1 << 30))\n"
    for source, test in (
        (at_once, stdio("at-once")),
        (gradual, stdio("gradual")),
        (in_function, function("in-function", [], 1)),
    ):
        report = await run(sandbox, source, test)
        result = report.results[0]
        assert result.status is TestStatus.MEMORY, result
        assert result.memory_kb < HOSTILE.memory_bytes // 1024
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-03


async def test_sb03_cpu_loop_and_sleep_forever_time_out(
    sandbox: Sandbox, contained: Contained
) -> None:
    source = """
    import time
    def solve(kind):
        if kind == "cpu":
            while True:
                pass
        time.sleep(3600)
    """
    report = await run(
        sandbox,
        program(source),
        function("cpu", ["cpu"], 0),
        function("sleep", ["sleep"], 0),
        limits=HOSTILE,
    )
    assert [r.status for r in report.results] == [TestStatus.TIMEOUT, TestStatus.TIMEOUT]
    assert report.result("sleep").time_ms < (HOSTILE.wall_seconds + 1) * 1000
    contained(sandbox, report)


async def test_sb03_waiting_on_stdin_gets_eof_immediately(
    sandbox: Sandbox, contained: Contained
) -> None:
    source = """
    import os, sys
    def solve():
        return [sys.stdin.read(), os.read(0, 10).decode()]
    if __name__ == "__main__":
        sys.stdin.read()
        input()  # EOF: stdin is a file holding the test input, never the worker's stdin
    """
    report = await run(
        sandbox, program(source), stdio("stdin", given="only line\n"), function("fn", [], ["x"])
    )
    assert report.result("stdin").status is TestStatus.ERROR
    assert "EOFError" in (report.result("stdin").error or "")
    assert report.result("fn").status is TestStatus.FAILED
    assert report.result("fn").output == '[\n  "",\n  ""\n]'  # stdin is /dev/null for solve()
    assert all(r.time_ms < 1000 * CONFINED.wall_seconds for r in report.results)
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-04


async def test_sb04_output_floods_are_cut_and_marked(
    sandbox: Sandbox, contained: Contained
) -> None:
    floods = {
        "stdout": "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
        "stderr": "import sys\nwhile True:\n    sys.stderr.write('y' * 65536)\n",
        "print-in-solve": "def solve():\n    while True:\n        print('z' * 1000)\n",
        "huge-return": "def solve():\n    return list(range(10**6))\n",
    }
    for name, source in floods.items():
        test = stdio(name) if "solve" not in source else function(name, [], 0)
        report = await run(sandbox, source, test)
        result = report.results[0]
        assert result.status is TestStatus.OUTPUT_LIMIT, result
        assert len(result.output or "") <= sandbox.runner.display_limit + 100
        assert result.time_ms < 1000 * CONFINED.wall_seconds  # killed at once, not timed out
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-05


async def test_sb05_disk_and_inode_fill_are_bounded_and_cleaned(
    sandbox: Sandbox, contained: Contained
) -> None:
    token = secrets.token_hex(6)
    source = """
    import os
    report = []
    try:
        with open("big.bin", "wb") as handle:
            handle.write(b"x" * (8 << 20))
    except OSError as exc:
        report.append(f"big:{exc.errno}")
    written = 0
    try:
        # 6 MB > the 4 MiB tmpfs; bounded so that the uid-only variant stays host-friendly
        for i in range(100):
            with open(f"fill{i}.bin", "wb") as handle:
                handle.write(b"y" * 60_000)
            written += 1
    except OSError as exc:
        report.append(f"fill-stopped:{exc.errno}")
    inodes = 0
    try:
        os.mkdir("many")
        # private tmpfs under bubblewrap; on the host disk (uid-only stack) stay modest
        for i in range(20000 if os.getcwd() == "/sandbox" else 300):
            open(f"many/{i}", "w").close()
            inodes += 1
    except OSError as exc:
        report.append(f"inodes-stopped:{exc.errno}")
    try:
        with open(__TMPFILE__, "wb") as handle:
            handle.write(b"z" * 1000)
    except OSError as exc:
        report.append(f"tmp:{exc.errno}")
    print(" ".join(report), written, inodes)
    """
    tmp_file = f"/tmp/campus-sb05-{token}"  # noqa: S108 - the host's /tmp, on purpose
    report = await run(sandbox, program(source, tmpfile=tmp_file), stdio("fill"))
    result = report.result("fill")
    assert result.status is TestStatus.FAILED
    assert result.output is not None
    assert "big:27" in result.output
    if sandbox.layers.bubblewrap:
        assert "fill-stopped:28" in result.output  # ENOSPC: bounded private tmpfs
    assert not Path(tmp_file).exists()
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-06


async def test_sb06_no_network_tcp_udp_or_dns(bwrap_sandbox: Sandbox, contained: Contained) -> None:
    connections: list[object] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer.get_extra_info("peername"))
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    tcp_port = server.sockets[0].getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp_port = udp.getsockname()[1]
    source = """
    import socket
    out = []
    try:
        socket.create_connection(("127.0.0.1", __TCP__), timeout=0.5).close()
        out.append("tcp:connected")
    except OSError as exc:
        out.append(f"tcp:{type(exc).__name__}")
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(5):
            s.sendto(b"from-sandbox", ("127.0.0.1", __UDP__))
        out.append("udp:sent-locally")
    except OSError as exc:
        out.append(f"udp:{type(exc).__name__}")
    try:
        socket.getaddrinfo("example.com", 80)
        out.append("dns:resolved")
    except OSError as exc:
        out.append(f"dns:{type(exc).__name__}")
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=0.5).close()
        out.append("internet:connected")
    except OSError as exc:
        out.append(f"internet:{type(exc).__name__}")
    print(" ".join(out))
    """
    try:
        report = await run(bwrap_sandbox, program(source, tcp=tcp_port, udp=udp_port), stdio("net"))
        output = report.result("net").output or ""
        assert "tcp:connected" not in output
        assert "dns:resolved" not in output
        assert "internet:connected" not in output
        # Positive controls from the host: the listeners work, and nothing came before them.
        _reader, writer = await asyncio.open_connection("127.0.0.1", tcp_port)
        writer.close()
        while not connections:
            await asyncio.sleep(0)
        assert len(connections) == 1, "the sandbox reached the host's loopback listener"
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.sendto(b"control", ("127.0.0.1", udp_port))
        sender.close()
        assert udp.recvfrom(100)[0] == b"control", "the sandbox's UDP datagram arrived"
    finally:
        server.close()
        await server.wait_closed()
        udp.close()
    assert_nothing_passed(report)
    contained(bwrap_sandbox, report)


async def test_sb06_network_is_isolated_on_every_stack(sandbox: Sandbox) -> None:
    assert sandbox.layers.network_isolated, sandbox.layers.notes  # namespaces, not bubblewrap


# ------------------------------------------------------------------------------ SB-07


async def test_sb07_secrets_never_reach_any_result_field(
    sandbox: Sandbox, canary: Canary, contained: Contained
) -> None:
    source = """
    import os
    found, tried = [], 0
    def scan(label, data):
        if "CANARY-SECRET" in data:
            found.append(label)
    scan("environ", repr(dict(os.environ)))
    for path in [__SECRET_FILE__, "/proc/1/environ", "/proc/self/environ", "/etc/shadow"]:
        try:
            scan(path, open(path, errors="replace").read())
        except OSError:
            tried += 1
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for name in ("environ", "cmdline"):
                try:
                    scan(pid, open(f"/proc/{pid}/{name}", errors="replace").read())
                except OSError:
                    tried += 1
    print("found:", found, "denied:", tried)
    print(dict(os.environ))
    """
    report = await run(
        sandbox, program(source, secret_file=str(canary.secret_file)), stdio("secrets")
    )
    result = report.result("secrets")
    assert result.output is not None
    assert "found: []" in result.output
    assert os.environ["CAMPUS_SANDBOX_CANARY_SECRET"] == canary.secret  # it was there to steal
    assert canary.secret not in repr(report)
    assert "CAMPUS_SANDBOX_CANARY_SECRET" not in repr(report)
    assert_nothing_passed(report)
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-08


async def test_sb08_writes_outside_the_job_directory_fail(
    sandbox: Sandbox, canary: Canary, contained: Contained
) -> None:
    token = secrets.token_hex(6)
    targets = {
        "tmp": f"/tmp/campus-sb08-{token}",  # noqa: S108 - the host's /tmp, on purpose
        "canary-new": str(canary.dir / f"new-{token}"),
        "canary-existing": str(canary.public_file),
        "repo": str(REPO / "src" / "campus" / f"sb08_{token}.py"),
        "etc": f"/etc/campus-sb08-{token}",
        "root-home": f"/root/campus-sb08-{token}",
    }
    source = """
    import os
    results = []
    for name, path in __TARGETS__.items():
        try:
            with open(path, "a") as handle:
                handle.write("pwned")
            results.append(f"{name}:wrote")
        except OSError as exc:
            results.append(f"{name}:{type(exc).__name__}")
    print(" ".join(results))
    """
    report = await run(sandbox, program(source, targets=targets), stdio("writes"))
    output = report.result("writes").output or ""
    for name in ("canary-new", "canary-existing", "repo", "etc", "root-home"):
        assert f"{name}:wrote" not in output
    for path in targets.values():
        if path != str(canary.public_file):
            assert not Path(path).exists(), f"{path} was created on the host"
    assert_nothing_passed(report)
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-09


async def test_sb09_planted_symlinks_are_never_followed(
    sandbox: Sandbox, canary: Canary, contained: Contained
) -> None:
    token = secrets.token_hex(6)
    tmp_link = f"/tmp/campus-sb09-{token}"  # noqa: S108 - the host's /tmp, on purpose
    source = """
    import os
    planted = []
    def plant(target, name):
        try:
            os.symlink(target, name)
            planted.append(name)
        except OSError:
            pass
    plant(__PUBLIC__, "to-canary-file")
    plant(__DIR__, "to-canary-dir")
    plant("/etc/passwd", "to-passwd")
    plant("/", "to-root")
    plant(__DIR__, __TMPLINK__)
    os.makedirs("nest/deeper", exist_ok=True)
    plant(__DIR__, "nest/deeper/to-canary-dir")
    plant(__PUBLIC__, "nest/to-canary-file")
    try:  # swap the staged submission itself for a link
        os.replace("to-canary-file", "solution.py")
        planted.append("solution.py")
    except OSError:
        pass
    try:
        os.link(__SECRET__, "hardlink-to-secret")
        planted.append("hardlink")
    except OSError:
        pass
    os.chmod("nest", 0)
    print(len(planted), "links planted")
    """
    values = {
        "public": str(canary.public_file),
        "dir": str(canary.dir),
        "secret": str(canary.secret_file),
        "tmplink": tmp_link,
    }
    report = await run(sandbox, program(source, **values), stdio("links"), stdio("again"))
    assert "links planted" in (report.result("links").output or "")
    assert canary.marker not in repr(report)
    assert not os.path.lexists(tmp_link)
    assert canary.public_file.read_text().strip() == canary.marker
    assert_nothing_passed(report)
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-10


async def test_sb10_shells_and_subprocesses_are_confined_and_killed(
    sandbox: Sandbox, contained: Contained
) -> None:
    source = """
    import os, subprocess
    status = os.system("exit 7") >> 8
    script = (
        "id -u; grep 'Max processes' /proc/self/limits | tr -s ' ' | cut -d' ' -f3; ulimit -n; "
        "(sleep 1000 >/dev/null 2>&1 &); "
        "(while :; do :; done >/dev/null 2>&1 &); "
        "echo spawned"
    )
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout.split()
    print("system", status, "uid", out[0], "nproc", out[1], "nofile", out[2], out[3])
    """
    report = await run(sandbox, program(source), stdio("shell"))
    result = report.result("shell")
    assert result.status is TestStatus.FAILED, result
    words = (result.output or "").split()
    assert words[:2] == ["system", "7"]
    assert words[-1] == "spawned"
    assert words[5] == str(HOSTILE.max_processes) or not IS_ROOT
    assert words[7] == str(HOSTILE.max_open_files)
    if IS_ROOT:
        assert int(words[3]) in sandbox.uids  # the shell ran as the job's uid
    contained(sandbox, report)  # the background sleep and busy loop are gone


# ------------------------------------------------------------------------------ SB-11


async def test_sb11_daemons_do_not_survive_and_do_not_stall_the_runner(
    sandbox: Sandbox, contained: Contained
) -> None:
    source = """
    import os, time
    def daemon(keep_stdout):
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                if not keep_stdout:
                    os.closerange(0, 3)
                while True:
                    time.sleep(0.01)
            os._exit(0)
        os.wait()
    daemon(True)   # holds our stdout pipe open forever
    daemon(False)
    print(3)
    """
    report = await run(sandbox, program(source), stdio("daemon", expected="3\n"))
    result = report.result("daemon")
    # a correct answer stays correct, and the runner did not wait for the daemon holding
    # stdout (that would have been a wall-clock timeout)...
    assert result.status is TestStatus.PASSED
    contained(sandbox, report)  # ...but the daemons are dead


async def test_sb11_killing_the_parent_or_everything_leaves_a_report(
    sandbox: Sandbox, contained: Contained
) -> None:
    kill_parent = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nraise SystemExit(1)\n"
    kill_all = "import os, signal\nos.kill(-1, signal.SIGKILL)\nraise SystemExit(1)\n"
    for name, source in (("kill-parent", kill_parent), ("kill-all", kill_all)):
        report = await run(sandbox, source, stdio(name))
        assert report.results[0].status in (TestStatus.ERROR, TestStatus.TIMEOUT)
        assert_nothing_passed(report)
        contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-12


async def test_sb12_early_exit_cannot_pass(sandbox: Sandbox, contained: Contained) -> None:
    for name, source in (
        ("sys-exit", "import sys\nsys.exit(0)\ndef solve(x):\n    return x\n"),
        ("os-exit", "import os\nos._exit(0)\n"),
        ("kill-self", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
        ("exit-in-solve", "import sys\ndef solve(x):\n    sys.exit(0)\n"),
        ("raise-systemexit", "def solve(x):\n    raise SystemExit(0)\n"),
    ):
        report = await run(sandbox, source, function(name, [1], 1, hidden=name == "os-exit"))
        assert report.tests_executed == 0, name
        assert all(r.status is TestStatus.ERROR for r in report.results), name
        assert_nothing_passed(report)
        contained(sandbox, report)


async def test_sb12_forged_frames_and_harness_tampering_cannot_pass(
    sandbox: Sandbox, contained: Contained
) -> None:
    nonce_from_cmdline = """
    import json, os
    argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
    nonce = argv[argv.index(b"function") + 1].decode()
    """
    attacks = {
        # fake reports and frames on stdout: stdout is not the result channel
        "fake-stdout": 'import json\nprint(json.dumps({"passed": True, "score": 100}))\n'
        'print("0" * 32 + \' {"event":"result","ok":true,"value":999}\')\n'
        "def solve(x):\n    return -1\n",
        # a well-formed but extra result frame with the real nonce
        "double-frame": nonce_from_cmdline
        + "os.write(3, (nonce + ' ' + json.dumps({'event': 'result', 'ok': True, 'value': 999})"
        " + '\\n').encode())\ndef solve(x):\n    return -1\n",
        # garbage on the channel
        "garbage": "import os\nos.write(3, b'PASSED\\n')\ndef solve(x):\n    return -1\n",
        # silence the harness
        "monkeypatch": "import __main__\n__main__._frame = lambda *a: None\n"
        "def solve(x):\n    return -1\n",
        # lie about the result through the real channel, then vanish before the harness
        "forged-then-exit": nonce_from_cmdline
        + "os.write(3, (nonce + ' ' + json.dumps({'event': 'result', 'ok': True, 'value': 7})"
        " + '\\n').encode())\nos._exit(0)\n",
    }
    for name, source in attacks.items():
        report = await run(sandbox, program(source), function(name, [1], 999))
        result = report.results[0]
        assert not result.passed, name
        assert result.status in (TestStatus.ERROR, TestStatus.FAILED), name
        contained(sandbox, report)


async def test_sb12_expected_values_are_not_in_the_sandbox(
    sandbox: Sandbox, contained: Contained
) -> None:
    expected = "EXPECTED-" + secrets.token_hex(8)
    source = """
    import os, re, sys
    def hunt():
        chunks = [repr(sys.argv), repr(dict(os.environ)), sys.stdin.read()]
        budget = [4000]  # files: without bubblewrap, /tmp is the host's and may be huge
        for root in (".", "/tmp", "/dev/shm", os.environ.get("HOME", ".")):
            for base, _dirs, files in os.walk(root):
                for name in files:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                    try:
                        with open(os.path.join(base, name), errors="replace") as handle:
                            text = handle.read(65536)
                        if "EXPECTED-" in text:
                            chunks.append(text)
                    except (OSError, ValueError):
                        pass
                if budget[0] <= 0:
                    break
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                for item in ("cmdline", "environ"):
                    try:
                        chunks.append(open(f"/proc/{pid}/{item}", errors="replace").read())
                    except OSError:
                        pass
        blob = "\\n".join(chunks)
        match = re.search("EXPECTED-[0-9a-f]{16}", blob)
        return match.group(0) if match else "nothing"
    def solve(x):
        return hunt()
    if __name__ == "__main__":
        print(hunt())
    """
    report = await run(
        sandbox,
        program(source),
        function("fn", [1], expected, hidden=True),
        stdio("io", expected=expected + "\n"),
    )
    assert_nothing_passed(report)
    assert report.result("io").output == "nothing\n"
    contained(sandbox, report)


async def test_sb12_planted_startup_files_have_no_effect(
    sandbox: Sandbox, contained: Contained
) -> None:
    source = """
    import os, sys
    payload = "print('HACKED')\\n"
    for name in ("sitecustomize.py", "usercustomize.py", "conftest.py", "json.py", "runpy.py"):
        for directory in (".", "/tmp"):
            try:
                with open(os.path.join(directory, name), "w") as handle:
                    handle.write(payload)
            except OSError:
                pass
    for directory in (".", "/tmp"):
        try:
            with open(os.path.join(directory, "evil.pth"), "w") as handle:
                handle.write("import builtins; print('HACKED')\\n")
        except OSError:
            pass
    print("answer")
    """
    report = await run(
        sandbox, program(source), stdio("first", "answer\n"), stdio("second", "answer\n")
    )
    assert [r.output for r in report.results] == ["answer\n", "answer\n"]
    assert report.score == 100  # honest output passes; the planted files changed nothing
    contained(sandbox, report)


# ------------------------------------------------------------------------------ SB-13


async def test_sb13_fd_exhaustion_fails_safely(sandbox: Sandbox, contained: Contained) -> None:
    source = """
    import os
    fds = []
    try:
        while True:
            fds.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as exc:
        print(len(fds), exc.errno)
    """
    report = await run(sandbox, program(source), stdio("fds"))
    count, errno_value = (report.result("fds").output or "0 0").split()
    assert int(count) < HOSTILE.max_open_files
    assert errno_value == "24"
    assert_nothing_passed(report)
    contained(sandbox, report)


async def test_sb13_ptrace_and_other_kernel_attack_surface_fail_safely(
    sandbox: Sandbox, contained: Contained
) -> None:
    source = """
    import ctypes, os, threading
    libc = ctypes.CDLL(None, use_errno=True)
    def call(name, *args):
        rc = getattr(libc, name)(*args)
        return f"{name}:{rc}:{ctypes.get_errno() if rc == -1 else 0}"
    PTRACE_ATTACH, CLONE_NEWUSER, CLONE_NEWNET = 16, 0x10000000, 0x40000000
    results = [
        call("ptrace", PTRACE_ATTACH, os.getppid(), None, None),
        call("ptrace", PTRACE_ATTACH, 1, None, None),
        call("unshare", CLONE_NEWUSER),
        call("unshare", CLONE_NEWNET),
        call("syscall", __IO_URING_SETUP__, 8, ctypes.create_string_buffer(120)),
        call("syscall", __BPF__, 0, None, 0),
    ]
    worker = threading.Thread(target=lambda: None)
    worker.start()  # threads still work (clone3 -> ENOSYS -> clone fallback)
    worker.join()
    print(" ".join(results), "threads:ok", flush=True)
    """
    numbers = {"x86_64": (425, 321), "aarch64": (425, 280)}.get(platform.machine())
    if numbers is None:
        pytest.skip(f"syscall numbers unknown for {platform.machine()}")
    source = program(source, io_uring_setup=numbers[0], bpf=numbers[1])
    report = await run(sandbox, source, stdio("kernel"))
    result = report.result("kernel")
    assert not result.passed
    *attempts, threads = (result.output or "").split()
    assert threads == "threads:ok"
    outcomes = [attempt.split(":") for attempt in attempts]
    assert len(outcomes) == 6
    assert all(rc == "-1" for _name, rc, _errno in outcomes), outcomes
    if sandbox.layers.seccomp:  # refused by the filter itself, whatever the other layers say
        assert {errno_value for _name, _rc, errno_value in outcomes} == {"1"}, outcomes
    contained(sandbox, report)
