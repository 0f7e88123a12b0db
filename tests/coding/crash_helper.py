"""Run by ``test_crash_safety.py`` as a real grading worker that dies with SIGKILL while the
learner's code is running in the sandbox.

    python crash_helper.py <database url> <uid>

It registers the coding job handlers exactly as ``campus worker`` does, claims the queued
grading job with a 60 s lease, and kills itself once the submission's program is alive in
the sandbox (a process of the sandbox uid ``<uid>`` exists). It prints ``GRADING pid=...``
lines before dying. Nothing here is imported by the test process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from campus.coding import tasks as coding_tasks
from campus.coding.runners.engine import engine_for
from campus.config import Environment, Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.outbox import HandlerRegistry
from campus.sandbox import RunReport, SandboxLimits, TestCase
from campus.sandbox.launcher import live_pids_of_uid

LEASE_SECONDS = 60


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def die_mid_grading(url: str, uid: int) -> None:
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        jobs_in_process=False,
        seed_demo_on_first_run=False,
        sandbox_first_uid=uid,
        sandbox_uid_pool_size=1,
        outbox_lease_seconds=LEASE_SECONDS,
    )
    db = Database(url)
    registry = HandlerRegistry()
    coding_tasks.register(registry, settings)
    engine = engine_for(settings)
    await engine.start()
    runner = engine.runner
    real_run = runner.run

    async def run_then_die(
        language: str, source: str, tests: Sequence[TestCase], limits: SandboxLimits
    ) -> RunReport:
        running = asyncio.ensure_future(real_run(language, source, tests, limits))
        while not live_pids_of_uid(uid):  # the learner's program is starting
            await asyncio.sleep(0.005)
        say(f"GRADING pid={os.getpid()} done={running.done()}")
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    runner.run = run_then_die  # type: ignore[method-assign]
    relay = Relay(db, registry, worker_id="doomed-grader", lease_seconds=LEASE_SECONDS)
    await relay.drain()
    say("SURVIVED")  # never reached


def main() -> None:
    configure_logging("WARNING")
    asyncio.run(die_mid_grading(sys.argv[1], int(sys.argv[2])))


if __name__ == "__main__":
    main()
