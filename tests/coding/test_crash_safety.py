"""Crash safety of grading (security-tests.md, "in the middle of a grading job"): a worker
SIGKILLed while the learner's code runs leaves a RUNNING submission and a claimed job; once the
lease runs out the job is redelivered and the submission is graded exactly once (one set of
results, one event). A duplicate delivery after the verdict changes nothing, and the killed
worker's sandboxed processes are gone."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from campus.coding.events import GRADE_JOB, CodeSubmissionGraded
from campus.coding.models import CodeSubmission, CodeTestResult
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import MessageStatus, OutboxMessage, enqueue_job
from campus.sandbox.launcher import live_pids_of_uid
from tests.fixtures.catalog import ok
from tests.fixtures.coding import CodingFactory, call
from tests.fixtures.sandbox import requires_root

HELPER = Path(__file__).with_name("crash_helper.py")
HELPER_UID = 61250  # a uid range of its own (one uid), away from the app's and the tests'
SLEEPY_ADDER = "import time\n\ndef solve(a, b):\n    time.sleep(1)\n    return a + b\n"


async def run_helper(database_url: str) -> tuple[int, list[str], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HELPER),
        database_url,
        str(HELPER_UID),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    lines = stdout.decode().splitlines()
    assert "SURVIVED" not in lines
    assert process.returncode is not None
    return process.returncode, lines, stderr.decode()


def wait_until_gone(pids: list[int], timeout: float = 10.0) -> None:
    """Block on each process's pidfd until it has exited (no polling)."""
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
            assert ready, f"sandboxed process {pid} survived the dead worker"
        finally:
            os.close(fd)


async def load(db: Database, submission_id: str) -> tuple[CodeSubmission, int, int]:
    async with db.read_session() as session:
        submission = await session.get(CodeSubmission, uuid.UUID(submission_id))
        assert submission is not None
        session.expunge(submission)
        results = await session.scalar(
            sa.select(sa.func.count()).where(CodeTestResult.submission_id == submission.id)
        )
        events = await session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.name == CodeSubmissionGraded.name)
        )
    return submission, int(results or 0), int(events or 0)


@requires_root
async def test_grading_survives_a_worker_killed_mid_run_and_grades_exactly_once(
    coding: CodingFactory,
    db: Database,
    relay: Relay,
    database_url: str,
    frozen_clock: Clock,
) -> None:
    world = await coding.world()
    tests = [call("adds", [1, 2], 3), call("adds negatives", [-1, -2], -3, hidden=True)]
    exercise = await coding.exercise(world, tests=tests, timeLimitMs=3000)
    created = ok(await coding.submit(world.learner, exercise["id"], SLEEPY_ADDER), 201)

    returncode, lines, stderr = await run_helper(database_url)
    assert returncode == -signal.SIGKILL, stderr
    assert any(line.startswith("GRADING") for line in lines)
    submission, results, events = await load(db, created["id"])
    assert submission.status == "RUNNING"  # the claim was committed before the code ran
    assert submission.grading_attempts == 1
    assert (results, events) == (0, 0)  # nothing of the dead run was recorded
    async with db.read_session() as session:
        job = await session.scalar(sa.select(OutboxMessage).where(OutboxMessage.name == GRADE_JOB))
        assert job is not None
        assert (job.status, job.locked_by) == (MessageStatus.PROCESSING, "doomed-grader")
    # The dead worker's sandbox stops by itself (the control pipe closed with the worker).
    wait_until_gone(live_pids_of_uid(HELPER_UID))
    assert live_pids_of_uid(HELPER_UID) == []

    assert await relay.drain() == 0  # the dead worker's lease still holds
    frozen_clock.advance(seconds=180)
    assert await relay.drain() >= 1
    graded, results, events = await load(db, created["id"])
    assert graded.status == "PASSED"
    assert graded.grading_attempts == 2
    assert (results, events) == (2, 1)

    # A duplicate delivery of the grading job after the verdict is a no-op.
    async with db.session() as session:
        await enqueue_job(session, GRADE_JOB, {"submissionId": created["id"]})
    assert await relay.drain() >= 1
    again, results, events = await load(db, created["id"])
    assert (again.status, again.graded_at, again.grading_attempts) == (
        "PASSED",
        graded.graded_at,
        2,
    )
    assert (results, events) == (2, 1)
