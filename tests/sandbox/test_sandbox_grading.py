"""Grading correctness: verdicts, scores, comparison modes, hidden-test discretion."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from campus.sandbox import (
    LocalSandboxRunner,
    RunStatus,
    SandboxLimits,
    TestCase,
    TestStatus,
    UidPool,
    UnsupportedLanguage,
)
from campus.sandbox.compare import normalize_whitespace, text_matches, value_matches
from campus.sandbox.limits import MiB
from tests.fixtures.sandbox import HOSTILE, Sandbox

FAST = SandboxLimits(cpu_seconds=1, wall_seconds=5.0, memory_bytes=128 * MiB)  # wall never hit

ADDER = textwrap.dedent(
    """
    import sys

    def solve(a, b):
        return a + b

    if __name__ == "__main__":
        a, b = map(int, sys.stdin.read().split())
        print(a + b)
    """
)


def stdio(test_id: str, given: str, expected: str, **kw: object) -> TestCase:
    return TestCase(test_id, "stdio", given, expected, **kw)  # type: ignore[arg-type]


def function(test_id: str, args: object, expected: object, **kw: object) -> TestCase:
    return TestCase(test_id, "function", args, expected, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------- verdicts end to end


async def test_correct_solution_passes_stdio_and_function_tests(bwrap_sandbox: Sandbox) -> None:
    tests = [
        stdio("s1", "2 3\n", "5\n"),
        stdio("s2", "10 -4\n", "6\n", hidden=True),
        function("f1", [2, 3], 5),
        function("f2", "[100, 1]", 101, hidden=True),
    ]
    report = await bwrap_sandbox.runner.run("python", ADDER, tests, FAST)
    assert report.status is RunStatus.PASSED
    assert report.score == 100.0
    assert report.tests_executed == report.tests_expected == 4
    assert [r.status for r in report.results] == [TestStatus.PASSED] * 4
    assert [r.id for r in report.results] == ["s1", "s2", "f1", "f2"]  # caller's order
    visible = report.result("s1")
    assert visible.output == "5\n"
    assert visible.diff is None
    assert visible.error is None
    assert report.result("f1").output == "5"
    visible_results = [r for r in report.results if not r.hidden]
    assert all(r.time_ms > 0 and r.memory_kb > 0 for r in visible_results)
    # SB-18: hidden tests show no memory figure and their time in 100 ms steps only
    hidden_results = [r for r in report.results if r.hidden]
    assert all(r.memory_kb == 0 and r.time_ms % 100 == 0 for r in hidden_results)
    assert report.layers.isolated


async def test_wrong_answer_fails_with_diff_and_partial_weighted_score(
    bwrap_sandbox: Sandbox,
) -> None:
    source = "def solve(n):\n    return n * 2 if n < 10 else n * 3\n"
    tests = [
        function("small", [2], 4, weight=3),
        function("big", [20], 40, weight=1),
    ]
    report = await bwrap_sandbox.runner.run("python", source, tests, FAST)
    assert report.status is RunStatus.FAILED
    assert report.score == pytest.approx(75.0)
    big = report.result("big")
    assert big.status is TestStatus.FAILED
    assert not big.passed
    assert big.output == "60"
    assert big.diff is not None
    assert "-40" in big.diff
    assert "+60" in big.diff
    assert report.tests_executed == 2


async def test_wrong_stdout_fails_with_unified_diff(bwrap_sandbox: Sandbox) -> None:
    report = await bwrap_sandbox.runner.run(
        "python", "print('hello')\nprint('world')\n", [stdio("t", "", "hello\nthere\n")], FAST
    )
    result = report.result("t")
    assert result.status is TestStatus.FAILED
    assert result.diff is not None
    assert "--- expected" in result.diff
    assert "-there" in result.diff
    assert "+world" in result.diff


async def test_crashing_solution_is_an_error_with_the_learners_traceback(
    bwrap_sandbox: Sandbox,
) -> None:
    source = (
        "def solve(x):\n    return 1 // x\n\n"
        "if __name__ == '__main__':\n    print(1 // int(input()))\n"
    )
    tests = [stdio("s", "0\n", "x\n"), function("f", [0], 1)]
    report = await bwrap_sandbox.runner.run("python", source, tests, FAST)
    assert report.status is RunStatus.FAILED  # the learner's fault, not an infrastructure error
    assert report.error is None
    assert report.tests_executed == 0
    for result in report.results:
        assert result.status is TestStatus.ERROR
        assert result.error is not None
        assert "ZeroDivisionError" in result.error
    assert "harness" not in (report.result("f").error or "")  # only the learner's frames


async def test_slow_and_non_terminating_solutions_time_out(bwrap_sandbox: Sandbox) -> None:
    source = textwrap.dedent(
        """
        import time
        def solve(kind):
            if kind == "spin":
                while True:
                    pass
            if kind == "sleep":
                time.sleep(60)
            if kind == "slow":
                total = 0
                for i in range(10**10):
                    total += i
            return kind
        """
    )
    tests = [
        function("spin", ["spin"], "spin"),
        function("sleep", ["sleep"], "sleep"),
        function("slow", ["slow"], "slow"),
        function("fast", ["fast"], "fast"),
    ]
    report = await bwrap_sandbox.runner.run("python", source, tests, HOSTILE)
    assert [r.status for r in report.results] == [
        TestStatus.TIMEOUT,
        TestStatus.TIMEOUT,
        TestStatus.TIMEOUT,
        TestStatus.PASSED,
    ]
    assert report.score == pytest.approx(25.0)
    assert report.result("sleep").time_ms >= 950
    assert report.status is RunStatus.FAILED


async def test_non_terminating_stdio_program_times_out(bwrap_sandbox: Sandbox) -> None:
    report = await bwrap_sandbox.runner.run(
        "python", "while True:\n    pass\n", [stdio("t", "", "")], HOSTILE
    )
    assert report.result("t").status is TestStatus.TIMEOUT
    assert report.score == 0


async def test_stdio_program_that_exits_non_zero_after_correct_output_is_an_error(
    bwrap_sandbox: Sandbox,
) -> None:
    source = "import sys\nprint(5)\nsys.exit(3)\n"
    report = await bwrap_sandbox.runner.run("python", source, [stdio("t", "", "5\n")], FAST)
    assert report.result("t").status is TestStatus.ERROR
    assert "exit code 3" in (report.result("t").error or "")


async def test_hidden_tests_reveal_nothing_but_the_verdict(bwrap_sandbox: Sandbox) -> None:
    secret_input, secret_expected = "HIDDEN-INPUT-4242", "HIDDEN-EXPECTED-9191"
    source = textwrap.dedent(
        """
        import sys
        data = sys.stdin.read()
        print("echo:", data)
        print("echo:", data, file=sys.stderr)
        raise ValueError(data)
        """
    )
    fn_source = "def solve(x):\n    print(x)\n    raise KeyError(x)\n"
    report = await bwrap_sandbox.runner.run(
        "python", source, [stdio("h", secret_input, secret_expected, hidden=True)], FAST
    )
    report_fn = await bwrap_sandbox.runner.run(
        "python", fn_source, [function("h", [secret_input], secret_expected, hidden=True)], FAST
    )
    for rep in (report, report_fn):
        result = rep.result("h")
        assert result.status is TestStatus.ERROR
        assert result.hidden
        assert result.output is None
        assert result.diff is None
        assert result.error is None
        assert secret_input not in repr(rep)
        assert secret_expected not in repr(rep)


async def test_function_returning_wrong_json_type_fails(bwrap_sandbox: Sandbox) -> None:
    source = "def solve(flag):\n    return 1 if flag else {1, 2}\n"
    report = await bwrap_sandbox.runner.run(
        "python", source, [function("bool", [True], True), function("set", [False], [1, 2])], FAST
    )
    assert report.result("bool").status is TestStatus.FAILED  # 1 is not True
    assert report.result("set").status is TestStatus.ERROR
    assert "JSON" in (report.result("set").error or "")


async def test_missing_entry_point_is_an_error(bwrap_sandbox: Sandbox) -> None:
    report = await bwrap_sandbox.runner.run("python", "x = 1\n", [function("f", [], 1)], FAST)
    assert report.result("f").status is TestStatus.ERROR
    assert "solve" in (report.result("f").error or "")


async def test_comparison_modes_end_to_end(bwrap_sandbox: Sandbox) -> None:
    source = textwrap.dedent(
        """
        import sys
        def solve(kind):
            if kind == "float":
                return [0.1 + 0.2, 2.0000001]
            return "a   b  \\n\\n"
        if __name__ == "__main__":
            print("x   1.0000001   y   ")
            print()
        """
    )
    tests = [
        stdio("exact", "", "x 1 y\n", comparison="exact"),
        stdio("ws", "", "x 1.0000001 y\n", comparison="whitespace"),
        stdio("num", "", "x 1 y", comparison="numeric", tolerance=1e-3),
        stdio("num-strict", "", "x 1 y", comparison="numeric", tolerance=1e-12, rel_tolerance=0),
        function("f-num", ["float"], [0.3, 2], comparison="numeric", tolerance=1e-3),
        function("f-exact", ["float"], [0.3, 2], comparison="exact"),
        function("f-ws", ["text"], "a b", comparison="whitespace"),
    ]
    report = await bwrap_sandbox.runner.run("python", source, tests, FAST)
    verdicts = {r.id: r.passed for r in report.results}
    assert verdicts == {
        "exact": False,
        "ws": True,
        "num": True,
        "num-strict": False,
        "f-num": True,
        "f-exact": False,
        "f-ws": True,
    }


async def test_the_namespace_runner_without_bubblewrap_grades_too(plain_sandbox: Sandbox) -> None:
    tests = [stdio("s", "1 2\n", "3\n"), function("f", [1, 2], 3, hidden=True)]
    report = await plain_sandbox.runner.run("python", ADDER, tests, FAST)
    assert report.status is RunStatus.PASSED
    assert not report.layers.bubblewrap
    assert report.layers.namespaces
    assert report.layers.isolated
    assert report.layers.rlimits


@pytest.mark.skipif(shutil.which("node") is None, reason="LAYER MISSING: node is not installed")
async def test_javascript_function_and_stdio_grading(bwrap_sandbox: Sandbox) -> None:
    if "javascript" not in await bwrap_sandbox.runner.languages():
        pytest.skip("node is installed but does not start inside the sandbox")
    source = textwrap.dedent(
        """
        function solve(a, b) { return a + b; }
        module.exports = { solve };
        if (require.main === undefined || process.argv[1] === 'stdio') {
          const data = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);
          if (data.length === 2) console.log(data[0] + data[1]);
        }
        """
    )
    tests = [
        function("f", [2, 5], 7),
        function("g", [2, 5], 8),
        stdio("s", "4 4\n", "8\n"),
        stdio("boom", "", "x", hidden=True),
    ]
    crash = "throw new Error('boom');\n"
    report = await bwrap_sandbox.runner.run("javascript", source, tests[:3], FAST)
    assert [r.status for r in report.results] == [
        TestStatus.PASSED,
        TestStatus.FAILED,
        TestStatus.PASSED,
    ]
    crashed = await bwrap_sandbox.runner.run("javascript", crash, tests[3:], FAST)
    assert crashed.result("boom").status is TestStatus.ERROR


async def test_invalid_requests_are_rejected_before_running(tmp_path: Path) -> None:
    runner = LocalSandboxRunner(uid_pool=UidPool(62300, 1, lock_dir=str(tmp_path)))
    with pytest.raises(UnsupportedLanguage):
        await runner.run("cobol", "", [stdio("a", "", "")], FAST)
    with pytest.raises(ValueError, match="at least one"):
        await runner.run("python", "", [], FAST)
    with pytest.raises(ValueError, match="unique"):
        await runner.run("python", "", [stdio("a", "", ""), stdio("a", "", "")], FAST)
    with pytest.raises(ValueError, match="weight"):
        await runner.run("python", "", [stdio("a", "", "", weight=0)], FAST)
    with pytest.raises(ValueError, match="not valid JSON"):
        function("bad", "not json", 1)
    with pytest.raises(ValueError, match="JSON array"):
        function("bad", {"a": 1}, 1)
    with pytest.raises(ValueError, match="comparison"):
        TestCase("bad", "stdio", "", "", comparison="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cpu_seconds"):
        SandboxLimits(cpu_seconds=0)


# ------------------------------------------------------------------- comparison units


def _case(comparison: str, **kw: float) -> TestCase:
    return TestCase("c", "stdio", "", "", comparison=comparison, **kw)  # type: ignore[arg-type]


def test_whitespace_normalisation_is_precisely_defined() -> None:
    assert normalize_whitespace("a  b\t c  \r\n\r\n  d   e\n\n\n") == "a b c\n\n  d e"
    assert normalize_whitespace("x") == normalize_whitespace("x\n")
    assert normalize_whitespace("  x") != normalize_whitespace("x")  # indentation counts
    assert normalize_whitespace("a\n\nb") != normalize_whitespace("a\nb")  # inner blank lines


def test_text_comparison_modes() -> None:
    assert text_matches("1 2\n", "1 2\n", _case("exact"))
    assert not text_matches("1 2", "1 2\n", _case("exact"))
    assert text_matches("1   2  \n\n", "1 2", _case("whitespace"))
    assert text_matches("3.14159 x\n", "3.1416 x", _case("numeric", tolerance=1e-3))
    assert not text_matches("3.2 x", "3.1416 x", _case("numeric", tolerance=1e-3))
    assert text_matches("1000001", "1000000", _case("numeric", tolerance=0, rel_tolerance=1e-5))
    assert not text_matches("1 2 3", "1 2", _case("numeric"))
    assert not text_matches("nan", "nan0", _case("numeric"))
    assert text_matches("nan", "nan", _case("numeric"))  # identical tokens


def test_value_comparison_modes() -> None:
    exact, numeric = _case("exact"), _case("numeric", tolerance=1e-6)
    assert value_matches({"a": [1, 2.0]}, {"a": [1.0, 2]}, exact)
    assert not value_matches(True, 1, exact)
    assert not value_matches(1, True, exact)
    assert not value_matches(None, 0, exact)
    assert value_matches([0.30000000000000004], [0.3], numeric)
    assert not value_matches([0.30000000000000004], [0.3], exact)
    assert not value_matches([1, 2], [1, 2, 3], exact)
    assert value_matches(" a  b \n", "a b", _case("whitespace")) is False  # leading space kept
    assert value_matches("a  b \n", "a b", _case("whitespace"))
