"""The zygote launcher: one long-lived trusted launcher per runner forks a supervisor per
execution (no launcher interpreter start per test), every execution still gets the full
containment, and a launcher that dies is replaced."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from campus.sandbox import RunReport, TestCase, TestStatus
from tests.fixtures.sandbox import CONFINED, Sandbox

Contained = Callable[[Sandbox, RunReport], None]

PARENTAGE = """
import os
parent = os.getppid()
with open(f"/proc/{parent}/status") as handle:
    grandparent = [l.split()[1] for l in handle if l.startswith("PPid:")][0]
print(parent, grandparent)
"""


async def test_executions_are_forked_by_one_zygote_which_is_replaced_if_killed(
    weak_sandbox: Sandbox, contained: Contained
) -> None:
    # The weak sandbox (no PID namespace) lets the program see its host parentage.
    runner = weak_sandbox.runner
    test = [TestCase("who", "stdio", "", "?")]
    first = await runner.run("python", PARENTAGE, test, CONFINED)
    server = runner._server
    assert server is not None
    zygote = server.pid
    assert zygote is not None
    supervisor, grandparent = map(int, (first.result("who").output or "0 0").split())
    assert grandparent == zygote  # program <- per-execution supervisor <- the zygote
    second = await runner.run("python", PARENTAGE, test, CONFINED)
    assert server.pid == zygote
    assert int((second.result("who").output or "0").split()[0]) != supervisor

    os.kill(zygote, signal.SIGKILL)
    os.waitpid(zygote, 0)  # our child: reap it so its pid is free
    third = await runner.run("python", "print(3)\n", [TestCase("t", "stdio", "", "3\n")], CONFINED)
    assert third.result("t").status is TestStatus.PASSED
    assert server.pid not in (None, zygote)
    contained(weak_sandbox, third)
