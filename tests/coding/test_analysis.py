"""Code-quality analysis (seed 003 AssignmentAnalysis): lines of code, cyclomatic complexity
per function, and ruff findings, all computed INSIDE the sandbox (the code is hostile input for
the parser and the linter too)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from campus.coding.service.analysis import analyze, count_lines, parse_findings
from campus.sandbox import probe as probe_module
from campus.sandbox import tools as tools_module
from campus.sandbox.probe import probe_environment
from campus.sandbox.tools import ToolRun, find_ruff
from campus.sandbox.uidpool import UidPool
from tests.fixtures.sandbox import CONFINED, IS_ROOT, TEST_FIRST_UID, Sandbox, requires_root

GRADER = """\
import os


def Grade(score):
    # letter grades
    if score >= 90:
        return "A"
    elif score >= 80 and score < 90:
        return "B"
    for _ in range(3):
        pass
    return "C" if score == None else "F"


def simple():
    return [x for x in range(3) if x]
"""


async def test_metrics_and_lint_findings(sandbox: Sandbox) -> None:
    result = await analyze(sandbox.runner, "python", GRADER)
    assert result.status == "complete", result.note
    assert (result.lines_of_code, result.comment_lines, result.blank_lines) == (11, 1, 4)
    by_name = {f["name"]: f["complexity"] for f in result.functions}
    # 1 + if + elif + and + for + conditional expression
    assert by_name["Grade"] == 6
    # 1 + comprehension for + its if
    assert by_name["simple"] == 3
    assert by_name["<module>"] == 1
    codes = {f["code"] for f in result.lint_findings}
    assert {"F401", "N802", "E711"} <= codes
    assert result.lint_total == len(result.lint_findings)
    assert result.tool is not None
    assert result.tool.startswith("ruff")
    assert result.values()["max_complexity"] == 6


async def test_syntax_errors_are_reported_not_fatal(plain_sandbox: Sandbox) -> None:
    result = await analyze(plain_sandbox.runner, "python", "def broken(:\n    pass\n")
    assert result.status == "complete"
    assert result.note is not None
    assert "syntax error on line 1" in result.note
    assert any(f["code"] == "invalid-syntax" for f in result.lint_findings)
    assert result.functions == []


async def test_hostile_input_for_the_analysers_is_bounded(bwrap_sandbox: Sandbox) -> None:
    nested = "x = " + "(" * 50_000 + ")" * 50_000 + "\n"
    deep = "x = " + "[" * 900 + "]" * 900 + "\n"
    for source in (nested, deep, "\x00\x01\x02" * 1000):
        result = await analyze(bwrap_sandbox.runner, "python", source)
        assert result.status in ("complete", "partial", "unavailable")
    # the worker survived and still analyses normally
    ok = await analyze(bwrap_sandbox.runner, "python", "def f():\n    return 1\n")
    assert ok.status == "complete"


async def test_analysis_output_is_bounded_and_findings_capped(plain_sandbox: Sandbox) -> None:
    source = "import os\n" * 3000  # thousands of F401/E-findings
    result = await analyze(plain_sandbox.runner, "python", source)
    assert len(result.lint_findings) <= 50
    assert result.status in ("complete", "partial")


def test_javascript_gets_line_counts_only() -> None:
    assert count_lines("// hi\nconst a = 1;\n\n/* x */\nconsole.log(a);\n") == (2, 2, 1)


def test_ruff_concise_output_is_parsed() -> None:
    text = (
        "solution.py:1:8: F401 [*] `os` imported but unused\n"
        "solution.py:3:11: E711 Comparison to `None` should be `cond is None`\n"
        "solution.py:1:7: invalid-syntax: Expected a parameter\n"
        "garbage line\n"
    )
    findings, total = parse_findings(text)
    assert total == 3
    assert findings[0] == {
        "code": "F401",
        "message": "`os` imported but unused",
        "line": 1,
        "column": 8,
    }
    assert findings[2]["code"] == "invalid-syntax"


async def test_tools_run_as_the_job_uid_inside_the_sandbox(sandbox: Sandbox) -> None:
    script = "import os, sys\nprint(os.getuid(), os.path.basename(sys.argv[1]))\n"
    [output] = await sandbox.runner.run_tools(
        "python", "x = 1\n", [ToolRun("python", ("-I", "-S", "-c", script, "{file}"))], CONFINED
    )
    assert output is not None
    assert output.error is None
    uid, name = output.stdout.split()
    assert name == "solution.py"
    if sandbox.layers.uid_switch:
        assert int(uid) in sandbox.uids


@requires_root
def test_an_unreadable_ruff_is_copied_where_the_job_uid_can_run_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = find_ruff()
    if original is None:
        pytest.skip("ruff is not installed")
    private = tmp_path / "private"
    private.mkdir()
    hidden = private / "ruff"
    shutil.copy2(original, hidden)
    private.chmod(stat.S_IRWXU)  # 0700: the job uid cannot even reach it
    monkeypatch.setattr(probe_module, "find_ruff", lambda: str(hidden))
    # the real copy_tool, into a tools directory the job uids can traverse
    base = Path(tempfile.mkdtemp(prefix="campus-tools-test-"))
    base.chmod(0o755)
    copies = base / "tools"
    copies.mkdir(mode=0o755)
    monkeypatch.setattr(tools_module, "tools_dir", lambda: str(copies))
    try:
        # Without namespaces the job uid reaches ruff by its host path (with namespaces the
        # trusted init binds it in, whatever the modes of its directory).
        env = probe_environment(
            uid_pool=UidPool(TEST_FIRST_UID, 2), use_bubblewrap=False, use_namespaces=False
        )
        assert env.layers.ruff is not None
        assert env.layers.ruff.startswith("ruff")
        assert env.ruff == str(copies / "ruff")
        assert os.stat(copies / "ruff").st_mode & 0o777 == 0o755
    finally:
        shutil.rmtree(base)


def test_ruff_is_reported_missing_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe_module, "find_ruff", lambda: None)
    pool = UidPool(TEST_FIRST_UID, 2) if IS_ROOT else None
    env = probe_environment(uid_pool=pool, use_bubblewrap=False, probe_node=False)
    assert env.layers.ruff is None
    assert env.ruff is None
    assert any("ruff is not installed" in note for note in env.layers.notes)
