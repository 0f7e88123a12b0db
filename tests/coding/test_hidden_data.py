"""Hidden test data never leaves the server: not in any response a learner gets (exercise,
list, hints, runs, submissions, results, errors), not in any log line, not in the per-test
rows a learner can read. The submissions below try hard to get it out: they echo their input
to stdout and stderr, exit with it as the message, raise it in an exception, return it."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response

from campus.coding.models import CodeTestResult
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.catalog import ok
from tests.fixtures.coding import API, CodingFactory, call, canary, stdio

ECHO_STDIN = """
import sys
data = sys.stdin.read()
print(data)
print("stderr:", data, file=sys.stderr)
raise SystemExit("input was " + data)
"""
RAISE_ARGS = "def solve(*args):\n    raise RuntimeError('args were %r' % (args,))\n"
RETURN_ARGS = "def solve(*args):\n    print(args)\n    return list(args)\n"


async def test_hidden_inputs_and_expected_values_never_reach_a_learner_or_a_log(
    coding: CodingFactory,
    client: AsyncClient,
    relay: Relay,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = coding.secrets
    hidden_in, hidden_out = secrets.add(canary("stdin")), secrets.add(canary("stdout"))
    arg, value = secrets.add(canary("arg")), secrets.add(canary("value"))
    tests = [
        stdio("visible echo", "hello\n", "hello\n"),
        call("visible call", ["x"], ["x"]),
        stdio("hidden echo", hidden_in + "\n", hidden_out + "\n", hidden=True),
        call("hidden call", [arg], value, hidden=True),
    ]
    world = await coding.world()
    exercise = await coding.exercise(world, tests=tests, referenceSolution=None, publish=False)
    # Publishing needs a reference solution that passes; this exercise is about leaks, so the
    # instructor's reference special-cases the canaries (it is staff-only data anyway).
    reference = (
        "import sys\n"
        f"def solve(*args):\n    return {value!r} if args == ({arg!r},) else list(args)\n"
        "if __name__ == '__main__':\n"
        "    line = sys.stdin.read()\n"
        f"    print({hidden_out + chr(10)!r} if {hidden_in!r} in line else line, end='')\n"
    )
    instructor = world.instructor.headers
    url = f"{API}/coding-exercises/{exercise['id']}"
    ok(await client.patch(url, json={"referenceSolution": reference}, headers=instructor))
    ok(await client.post(url + "/publish", headers=instructor))

    learner = world.learner
    seen: list[Response] = []

    async def get(path: str) -> Response:
        response = await client.get(API + path, headers=learner.headers)
        seen.append(response)
        return response

    detail = ok(await get(f"/coding-exercises/{exercise['id']}"))
    assert detail["hiddenTestCount"] == 2
    assert detail["staff"] is None
    assert [t["name"] for t in detail["visibleTests"]] == ["visible echo", "visible call"]
    await get(f"/courses/{world.course_id}/coding-exercises")
    await get(f"/coding-exercises/{exercise['id']}/hints")
    seen.append(await client.post(url + "/hints/next", headers=learner.headers))
    for code in (ECHO_STDIN, RAISE_ARGS, RETURN_ARGS):
        seen.append(await coding.run(learner, exercise["id"], code))
        submitted = await coding.submit(learner, exercise["id"], code)
        seen.append(submitted)
        await relay.drain()
        result = await get(f"/code-submissions/{ok(submitted, 201)['id']}")
        graded = ok(result)
        assert graded["status"] == "FAILED"
        hidden = [r for r in graded["results"] if r["hidden"]]
        assert [(r["output"], r["diff"], r["error"]) for r in hidden] == [(None, None, None)] * 2
    await get(f"/coding-exercises/{exercise['id']}/submissions")
    # failures are envelopes without data
    seen.append(await client.post(url + "/validate", headers=learner.headers))
    seen.append(await client.put(url + "/tests", json={"tests": tests}, headers=learner.headers))
    await get("/code-submissions/00000000-0000-0000-0000-000000000000")

    for response in seen:
        secrets.assert_absent(response.text, f"{response.request.method} {response.request.url}")
    captured = capsys.readouterr()
    secrets.assert_absent(caplog.text + captured.out + captured.err, "the logs")
    async with db.read_session() as session:
        rows = (
            await session.execute(
                sa.select(CodeTestResult.output, CodeTestResult.diff, CodeTestResult.error).where(
                    CodeTestResult.hidden.is_(True)
                )
            )
        ).all()
    assert len(rows) == 6
    assert all(row == (None, None, None) for row in rows)


async def test_staff_see_hidden_tests_and_validation_details(
    coding: CodingFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    staff = exercise["staff"]
    assert len(staff["tests"]) == 5
    assert sum(t["hidden"] for t in staff["tests"]) == 3
    assert staff["referenceSolution"]
    assert staff["validation"]["passed"] is True
    validated = ok(
        await client.post(
            f"{API}/coding-exercises/{exercise['id']}/validate",
            headers=world.instructor.headers,
        )
    )
    assert validated["passed"] is True
    joined = next(r for r in validated["results"] if r["name"] == "joins words")
    assert joined["hidden"] is True
    assert joined["output"] is not None  # staff validating their own tests see everything
