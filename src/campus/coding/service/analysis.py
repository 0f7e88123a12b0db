"""Automated code-quality analysis of a submission (seed 003 ``AssignmentAnalysis``, "code
quality"): lines of code, cyclomatic complexity per function, and lint findings.

Both halves run INSIDE the sandbox (``LocalSandboxRunner.run_tools``): the learner's code is
hostile input for a parser and a linter as much as for an interpreter.

* Metrics: a small script run by the sandbox's own Python parses the file with :mod:`ast` and
  counts decision points per function (McCabe: 1 + ``if``/``elif``, loops, ``except``
  clauses, conditional expressions, comprehension ``for``/``if`` clauses, each extra operand
  of ``and``/``or``, ``match`` cases). Decided against a library (radon, mccabe): none is a
  dependency, the count is twenty lines, and the script must run on whatever standard-library
  Python the sandbox uses (>= 3.8).
* Lint: ``ruff check --isolated --no-cache`` (no configuration is read from anywhere), with a
  fixed rule selection suited to learners: pycodestyle errors and warnings, pyflakes, bugbear,
  naming, simplifications and McCabe complexity (> 10).

JavaScript submissions get line counts only (counted here: splitting text is not parsing).
Only bounded stdout comes back from the sandbox; findings are capped at ``MAX_FINDINGS``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from campus.kernel.logging import get_logger
from campus.sandbox import LocalSandboxRunner, SandboxLimits
from campus.sandbox.limits import KiB, MiB
from campus.sandbox.tools import ToolOutput, ToolRun

log = get_logger("campus.coding.analysis")

MAX_FINDINGS = 50
RUFF_RULES = "E,W,F,B,N,SIM,C90"
ANALYSIS_LIMITS = SandboxLimits(
    cpu_seconds=5,
    wall_seconds=10,
    memory_bytes=256 * MiB,
    max_processes=16,
    max_output_bytes=256 * KiB,
)
_FINDING = re.compile(r"^[^:\n]*:(\d+):(\d+): ([A-Za-z][A-Za-z0-9-]*):? (?:\[\*\] )?(.*)$")

METRICS_SCRIPT = r"""
import ast, io, json, sys, tokenize

def complexity(node):
    count = 1
    todo = list(ast.iter_child_nodes(node))
    while todo:
        child = todo.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(child, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp,
                              ast.ExceptHandler)):
            count += 1
        elif isinstance(child, ast.BoolOp):
            count += len(child.values) - 1
        elif isinstance(child, ast.comprehension):
            count += 1 + len(child.ifs)
        elif type(child).__name__ == "match_case":
            count += 1
        todo.extend(ast.iter_child_nodes(child))
    return count

def main():
    with open(sys.argv[1], "rb") as handle:
        text = handle.read().decode("utf-8", "replace")
    lines = text.splitlines()
    out = {"blank": sum(1 for line in lines if not line.strip())}
    code, comments = set(), set()
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER, tokenize.COMMENT, tokenize.ENCODING)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments.add(tok.start[0])
            elif tok.type not in skip:
                code.update(range(tok.start[0], tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        code = {i for i, l in enumerate(lines, 1) if l.strip() and not l.strip().startswith("#")}
        comments = {i for i, l in enumerate(lines, 1) if l.strip().startswith("#")}
    out["code"] = len(code)
    out["comments"] = len(comments - code)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        out["syntax_error"] = {"line": exc.lineno or 0, "message": str(exc.msg)[:200]}
        print(json.dumps(out))
        return
    functions = [{"name": "<module>", "line": 1, "complexity": complexity(tree)}]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append({"name": node.name[:100], "line": node.lineno,
                              "complexity": complexity(node)})
    out["functions"] = functions[:200]
    print(json.dumps(out))

try:
    main()
except RecursionError:
    print(json.dumps({"error": "the code is nested too deeply to analyse"}))
"""


@dataclass
class AutomatedAnalysis:
    """The machine-made half of an analysis (``values`` for the analyses table)."""

    status: str  # complete | partial | unavailable
    note: str | None = None
    lines_of_code: int | None = None
    comment_lines: int | None = None
    blank_lines: int | None = None
    functions: list[dict[str, Any]] = field(default_factory=list)
    lint_findings: list[dict[str, Any]] = field(default_factory=list)
    lint_total: int | None = None
    tool: str | None = None

    def values(self) -> dict[str, Any]:
        complexities = [int(f["complexity"]) for f in self.functions]
        return {
            "automated_status": self.status,
            "automated_note": (self.note or None) and str(self.note)[:500],
            "lines_of_code": self.lines_of_code,
            "comment_lines": self.comment_lines,
            "blank_lines": self.blank_lines,
            "max_complexity": max(complexities) if complexities else None,
            "functions": self.functions,
            "lint_findings": self.lint_findings,
            "lint_total": self.lint_total,
            "tool": self.tool,
        }


def count_lines(source: str) -> tuple[int, int, int]:
    """``(code, comment, blank)`` lines of a JavaScript program (no parsing involved)."""
    code = comment = blank = 0
    for raw in source.splitlines():
        line = raw.strip()
        if not line:
            blank += 1
        elif line.startswith(("//", "/*", "*")):
            comment += 1
        else:
            code += 1
    return code, comment, blank


def parse_findings(text: str) -> tuple[list[dict[str, Any]], int]:
    findings: list[dict[str, Any]] = []
    total = 0
    for line in text.splitlines():
        match = _FINDING.match(line)
        if match is None:
            continue
        total += 1
        if len(findings) < MAX_FINDINGS:
            findings.append(
                {
                    "code": match.group(3)[:40],
                    "message": match.group(4)[:300],
                    "line": int(match.group(1)),
                    "column": int(match.group(2)),
                }
            )
    return findings, total


def _metrics(output: ToolOutput | None, analysis: AutomatedAnalysis, notes: list[str]) -> bool:
    if output is None or output.error is not None:
        notes.append(f"metrics unavailable ({output.error if output else 'no interpreter'})")
        return False
    try:
        data = json.loads(output.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        notes.append("metrics unavailable (unreadable output)")
        return False
    if not isinstance(data, dict):
        notes.append("metrics unavailable (unreadable output)")
        return False
    if "error" in data:
        notes.append(str(data["error"])[:200])
        return False
    analysis.lines_of_code = _int(data.get("code"))
    analysis.comment_lines = _int(data.get("comments"))
    analysis.blank_lines = _int(data.get("blank"))
    syntax = data.get("syntax_error")
    if isinstance(syntax, dict):
        notes.append(f"syntax error on line {_int(syntax.get('line'))}: {syntax.get('message')}")
    functions = data.get("functions") or []
    analysis.functions = [
        {
            "name": str(f.get("name"))[:100],
            "line": _int(f.get("line")) or 0,
            "complexity": _int(f.get("complexity")) or 1,
        }
        for f in functions
        if isinstance(f, dict)
    ][:200]
    return True


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def analyze(
    sandbox: LocalSandboxRunner | None, language: str, source: str
) -> AutomatedAnalysis:
    """Metrics and lint findings for ``source``; never raises (an analysis that cannot run is
    reported as unavailable, it never affects the grade)."""
    if language != "python":
        code, comments, blank = count_lines(source)
        return AutomatedAnalysis(
            status="partial",
            note="complexity and lint findings are computed for Python only",
            lines_of_code=code,
            comment_lines=comments,
            blank_lines=blank,
        )
    if sandbox is None:
        return AutomatedAnalysis(status="unavailable", note="analysis is disabled")
    runs = [
        ToolRun("python", ("-I", "-S", "-B", "-c", METRICS_SCRIPT, "{file}")),
        ToolRun(
            "ruff",
            (
                "check",
                "--output-format",
                "concise",
                "--no-cache",
                "--isolated",
                "--quiet",
                "--exit-zero",
                "--select",
                RUFF_RULES,
                "--line-length",
                "100",
                "{file}",
            ),
        ),
    ]
    try:
        metrics, lint = await sandbox.run_tools(language, source, runs, ANALYSIS_LIMITS)
    except Exception:  # never let analysis break grading
        log.exception("code_analysis_failed")
        return AutomatedAnalysis(status="unavailable", note="the analysis could not run")
    analysis = AutomatedAnalysis(status="complete")
    notes: list[str] = []
    metrics_ok = _metrics(metrics, analysis, notes)
    lint_ok = False
    if lint is None:
        notes.append("lint unavailable (ruff is not available in the sandbox)")
    elif lint.error is not None:
        notes.append(f"lint unavailable ({lint.error})")
    else:
        analysis.lint_findings, analysis.lint_total = parse_findings(lint.stdout)
        layers = await sandbox.start()
        analysis.tool = layers.ruff
        lint_ok = True
    if not (metrics_ok and lint_ok):
        analysis.status = "partial" if (metrics_ok or lint_ok) else "unavailable"
    analysis.note = "; ".join(notes) or None
    return analysis
