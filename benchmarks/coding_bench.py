"""Coding exercises benchmark (issue: sandboxed auto-grading), two figures in one run.

1. **Sandbox overhead per test** over a bare interpreter start: a job of ``--tests`` stdio
   test cases of a program that does nothing, through the real runner, divided by the number
   of tests, minus the median of a bare ``<sandbox python> -I -S -c pass`` (the same
   interpreter the sandbox uses, with the same start-up flags) measured in the same run,
   interleaved round by round so machine load hits every figure alike. Four stacks: the
   always-on layer (launcher + rlimits + dedicated uid + supervisor, no bubblewrap) and the
   full stack (+ bubblewrap namespaces), each with a one-shot launcher interpreter per test
   ("before") and with the zygote launcher ("after").
2. **Submissions graded per minute** for a 5-test Python exercise (3 visible, 2 hidden; stdio
   and function-call cases; analysis on: metrics + ruff in the sandbox as well): the embedded
   default (SQLite, in-process relays), ``--submissions`` queued submissions drained by
   ``--graders`` concurrent relays, with the zygote launcher and without.

    .venv/bin/python -m benchmarks.coding_bench [--tests 20] [--rounds 5] [--submissions 24]
        [--graders 2]

Figures are printed and appended to ``benchmarks/results.jsonl`` with the machine and date.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import harness
from campus.catalog.schemas.courses import ApproveRequest, CourseCreate, SubmitRequest
from campus.catalog.schemas.structure import LessonCreate, ModuleCreate
from campus.catalog.service import authoring, publication, structure
from campus.coding.models import CodeSubmission
from campus.coding.runners.engine import GradingEngine, install_engine
from campus.coding.schemas.exercises import ExerciseCreate
from campus.coding.schemas.submissions import CodeIn
from campus.coding.service import exercises, submissions
from campus.config import Environment, Settings
from campus.identity.api import create_user, role_grants
from campus.kernel.auth import Principal
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.mail import make_mailer
from campus.kernel.module import all_permissions
from campus.kernel.ratelimit import RateLimiter
from campus.learning.api import enroll_user
from campus.main import build_registry
from campus.modules import load_modules
from campus.sandbox import LocalSandboxRunner, SandboxLimits, TestCase, UidPool
from campus.seed import migrate_database

FIRST_UID = 61400  # a range of its own (8 uids per stack)
PASSWORD = "coding-bench-password-42"
SOLUTION = (
    "import sys\n\n\ndef solve(a, b):\n    return a + b\n\n\n"
    "if __name__ == '__main__':\n    a, b = map(int, sys.stdin.read().split())\n    print(a + b)\n"
)
EXERCISE_TESTS: list[dict[str, Any]] = [
    {"name": "stdin", "kind": "stdio", "input": "2 3\n", "expected": "5\n"},
    {"name": "call", "kind": "function", "input": [1, 2], "expected": 3},
    {"name": "zero", "kind": "function", "input": [0, 0], "expected": 0},
    {"name": "negatives", "kind": "function", "input": [-4, -5], "expected": -9, "hidden": True},
    {"name": "big", "kind": "stdio", "input": "1000 2345\n", "expected": "3345\n", "hidden": True},
]


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


@dataclass
class Stack:
    name: str
    bubblewrap: bool
    zygote: bool
    runner: LocalSandboxRunner | None = None


# --------------------------------------------------------------------------- 1. overhead


def bare_starts(argv: list[str], count: int) -> list[float]:
    """Wall time of ``count`` starts of ``argv`` (the reference: no sandbox at all)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run(argv, check=True)
        times.append(time.perf_counter() - started)
    return times


async def overhead(tests: int, rounds: int) -> dict[str, Any]:
    stacks = [
        Stack("always-on, one-shot launcher (before)", False, False),
        Stack("always-on, zygote launcher (after)", False, True),
        Stack("full (bubblewrap), one-shot launcher (before)", True, False),
        Stack("full (bubblewrap), zygote launcher (after)", True, True),
    ]
    root = os.geteuid() == 0
    for index, stack in enumerate(stacks):
        stack.runner = LocalSandboxRunner(
            uid_pool=UidPool(FIRST_UID + 8 * index, 8) if root else None,
            use_bubblewrap=stack.bubblewrap,
            languages=("python",),
            zygote=stack.zygote,
        )
        layers = await stack.runner.start()
        if stack.bubblewrap and not layers.bubblewrap:
            raise SystemExit("bubblewrap is not available here: cannot measure the full stack")
    python = (await stacks[0].runner.start()).python if stacks[0].runner else None
    assert python is not None
    cases = [TestCase(f"t{i}", "stdio", "", "") for i in range(tests)]
    limits = SandboxLimits(cpu_seconds=2, wall_seconds=10)
    bare: list[float] = []
    bare_plain: list[float] = []
    per_test: dict[str, list[float]] = {s.name: [] for s in stacks}
    inner: dict[str, list[float]] = {s.name: [] for s in stacks}
    for _ in range(rounds):
        bare.extend(bare_starts([python, "-I", "-S", "-c", "pass"], tests))
        bare_plain.extend(bare_starts([python, "-c", "pass"], tests))
        for stack in stacks:
            assert stack.runner is not None
            started = time.perf_counter()
            report = await stack.runner.run("python", "pass\n", cases, limits)
            elapsed = time.perf_counter() - started
            assert report.passed, report
            per_test[stack.name].append(elapsed / tests)
            inner[stack.name].extend(r.time_ms / 1000 for r in report.results)
    for stack in stacks:
        if stack.runner is not None:
            stack.runner.close()
    bare_ms = median_ms(bare)
    figures = {
        name: {
            "per_test_ms": median_ms(values),
            "overhead_ms": round(median_ms(values) - bare_ms, 1),
            "launcher_measured_program_ms": median_ms(inner[name]),
        }
        for name, values in per_test.items()
    }
    return {
        "interpreter": python,
        "bare_python_I_S_c_pass_ms": bare_ms,
        "bare_python_c_pass_ms": median_ms(bare_plain),
        "tests_per_job": tests,
        "rounds": rounds,
        "stacks": figures,
    }


# --------------------------------------------------------------------------- 2. throughput


#: What each built-in role holds, from every module's declared permissions.
GRANTS = role_grants(all_permissions(load_modules()).values())


def _principal(user_id: uuid.UUID, role: str) -> Principal:
    return Principal(user_id, frozenset({role}), GRANTS[role])


async def _user(db: Database, name: str, role: str) -> uuid.UUID:
    async with db.session() as session:
        return await create_user(
            session,
            email=f"{name}@example.com",
            password=PASSWORD,
            first_name=name.rstrip("0123456789").capitalize(),
            last_name="Bench",
            roles=(role,),
            verified=True,
        )


async def _world(db: Database, learners: int) -> tuple[Principal, uuid.UUID, list[Principal]]:
    teacher = await _user(db, "teacher", "instructor")
    admin = await _user(db, "admin", "admin")
    people = [await _user(db, f"learner{i}", "student") for i in range(learners)]
    owner, reviewer = _principal(teacher, "instructor"), _principal(admin, "admin")
    async with db.session() as session:
        course = await authoring.create_course(session, owner, CourseCreate(title="Bench"))
        module = await structure.create_module(
            session, owner, course.id, ModuleCreate(title="Module")
        )
        await structure.create_lesson(
            session, owner, course.id, module.id, LessonCreate(title="Lesson", type="article")
        )
        await publication.submit(session, owner, course.id, SubmitRequest())
        await publication.approve(session, reviewer, course.id, ApproveRequest())
    async with db.session() as session:
        for person in people:
            await enroll_user(session, person, course.id)
    return owner, course.id, [_principal(p, "student") for p in people]


async def throughput(submission_count: int, graders: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for zygote in (False, True):
        with tempfile.TemporaryDirectory(prefix="campus-coding-bench-") as tmp:
            data = Path(tmp)
            settings = Settings(
                env=Environment.TEST,
                data_dir=data,
                database_url=f"sqlite+aiosqlite:///{data / 'bench.db'}",
                jobs_in_process=False,
                seed_demo_on_first_run=False,
                code_submissions_per_minute=100_000,
                sandbox_first_uid=FIRST_UID + 40,
                sandbox_uid_pool_size=8,
            )
            await migrate_database(settings)
            sandbox = LocalSandboxRunner(
                uid_pool=UidPool(FIRST_UID + 40, 8) if os.geteuid() == 0 else None,
                languages=("python",),
                zygote=zygote,
            )
            engine = GradingEngine("local", sandbox, sandbox, analysis=True)
            install_engine(settings, engine)  # the job handlers use this one
            await engine.start()
            db = Database(settings.resolved_database_url)
            registry = build_registry(settings, make_mailer(settings))
            owner, course_id, learners = await _world(db, max(1, submission_count // 4))
            limiter = RateLimiter()
            async with db.session() as session:
                body = ExerciseCreate.model_validate(
                    {"title": "Add", "referenceSolution": SOLUTION, "tests": EXERCISE_TESTS}
                )
                exercise = await exercises.create_exercise(
                    session, owner, course_id, body, engine, settings
                )
            async with db.session() as session:
                await exercises.publish(session, owner, exercise.id, engine)
            for i in range(submission_count):
                learner = learners[i % len(learners)]
                async with db.session() as session:
                    await submissions.submit(
                        session,
                        learner,
                        exercise.id,
                        CodeIn(code=SOLUTION),
                        engine,
                        limiter,
                        settings,
                    )
            relays = [
                Relay(db, registry, worker_id=f"grader-{i}", batch_size=1) for i in range(graders)
            ]
            started = time.perf_counter()
            await asyncio.gather(*(relay.drain() for relay in relays))
            elapsed = time.perf_counter() - started
            async with db.read_session() as session:
                statuses = list(await session.scalars(sa.select(CodeSubmission.status)))
            await db.dispose()
            sandbox.close()
            assert statuses.count("PASSED") == submission_count, statuses
            label = "zygote launcher (after)" if zygote else "one-shot launcher (before)"
            results[label] = {
                "submissions": submission_count,
                "graders": graders,
                "seconds": round(elapsed, 2),
                "graded_per_minute": float(
                    (Decimal(submission_count) / Decimal(elapsed) * 60).quantize(Decimal("0.1"))
                ),
                "sandbox_executions_per_submission": len(EXERCISE_TESTS) + 2,
            }
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--submissions", type=int, default=24)
    parser.add_argument("--graders", type=int, default=2)
    args = parser.parse_args()
    configure_logging("ERROR")
    load_before = os.getloadavg()
    figures = {
        "overhead": await overhead(args.tests, args.rounds),
        "throughput": await throughput(args.submissions, args.graders),
    }
    record = {
        "title": "coding: sandbox overhead per test and submissions graded per minute",
        "machine": harness.machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **figures,
    }
    print(json.dumps(record, indent=2))
    with harness.RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
