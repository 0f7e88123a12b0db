"""Trusted analysis programs run over a submission inside the sandbox.

The submission is hostile input for an analyser as much as for an interpreter (a parser bomb,
a file crafted against a linter's bugs), so analysis never parses learner code in the worker:
the sandbox's own Python runs a small metrics script, and ``ruff`` (a static binary) lints the
staged file, both under the same launcher, rlimits, uid, bubblewrap view and seccomp filter as
tests. Only their bounded stdout comes back.

``ruff`` is found as the ``ruff`` Python package's binary (a runtime dependency), else on the
worker's ``PATH``. Under bubblewrap it is bound read-only at ``/opt/campus-tools/ruff``. When
the job uid cannot read it where it is installed (e.g. a virtualenv under ``/root``), the probe
copies it into a root-owned, world-readable tools directory and uses the copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass

from campus.sandbox.execution import ExecutionOutcome
from campus.sandbox.limits import SandboxLimits

#: Where trusted tools appear inside a bubblewrap sandbox.
TOOL_DIR = "/opt/campus-tools"


@dataclass(frozen=True, slots=True)
class ToolRun:
    """One trusted program over the submission. ``tool`` is ``"python"`` (the sandbox's
    interpreter) or ``"ruff"``; in ``args`` the literal ``"{file}"`` stands for the staged
    submission's path as the program sees it."""

    tool: str
    args: tuple[str, ...]
    stdin: bytes = b""


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool printed (bounded, decoded). ``error`` says why the output is unusable
    (time or memory limit, output flood, crash, sandbox failure); ``None`` when it ran to
    completion (whatever its exit code)."""

    tool: str
    exit_code: int | None
    stdout: str
    stderr: str
    error: str | None
    wall_ms: float


def tool_output(tool: str, outcome: ExecutionOutcome, limits: SandboxLimits) -> ToolOutput:
    error: str | None = None
    if outcome.infra_error:
        error = "sandbox failure"
    elif outcome.overflow:
        error = f"output limit exceeded ({limits.max_output_bytes} bytes)"
    elif outcome.timed_out:
        error = "time limit exceeded"
    elif outcome.signal is not None:
        error = f"killed by signal {outcome.signal}"
    elif outcome.exit_code is not None and outcome.exit_code >= 128:
        error = f"killed by signal {outcome.exit_code - 128}"
    return ToolOutput(
        tool=tool,
        exit_code=outcome.exit_code,
        stdout=outcome.stdout.decode("utf-8", "replace"),
        stderr=outcome.stderr.decode("utf-8", "replace")[-2000:],
        error=error,
        wall_ms=outcome.wall_ms,
    )


def find_ruff() -> str | None:
    """The ruff binary the worker would use (package binary first, then ``PATH``)."""
    with contextlib.suppress(ImportError, FileNotFoundError):
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        found = str(find_ruff_bin())
        if os.path.isfile(found):
            return os.path.realpath(found)
    beside = os.path.join(os.path.dirname(sys.executable), "ruff")
    if os.path.isfile(beside):
        return os.path.realpath(beside)
    on_path = shutil.which("ruff")
    return os.path.realpath(on_path) if on_path else None


def tools_dir() -> str:
    """A directory for copies of tools: owned by us, writable by nobody else, traversable."""
    base = "/var/lib/campus-sandbox" if os.geteuid() == 0 else tempfile.gettempdir()
    path = os.path.join(base, f"tools-{os.geteuid()}")
    os.makedirs(path, mode=0o755, exist_ok=True)
    info = os.lstat(path)
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise PermissionError(f"tools directory {path!r} is not safe")
    os.chmod(path, 0o755)  # noqa: S103 - job uids traverse it  # nosec B103
    return path


def copy_tool(path: str) -> str:
    """A world-readable copy of ``path`` in :func:`tools_dir` (replaced atomically)."""
    target_dir = tools_dir()
    target = os.path.join(target_dir, os.path.basename(path))
    fd, temporary = tempfile.mkstemp(dir=target_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
            shutil.copyfileobj(source, out)
        os.chmod(temporary, 0o755)  # noqa: S103 - read-only for job uids  # nosec B103
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target
