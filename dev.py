#!/usr/bin/env python3
"""Campus developer entry point. Needs only Python 3.11+ and the standard library.

    python3 dev.py run     # install (first time), migrate, seed demo data, serve on :8000
    python3 dev.py test    # install (first time) and run the whole test suite

Dependencies are installed into ./.venv from requirements.lock (pinned, hash-checked), and
reinstalled only when the lock file changes. Extra arguments after ``run`` go to
``campus serve``; after ``test`` to pytest. ``test`` runs the suite on one pytest-xdist worker
per CPU unless the arguments choose (``-n 0`` runs it in a single process); the sandbox tests
then run in one process.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".campus-lock-sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def _lock_digest() -> str:
    digest = hashlib.sha256(LOCK.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the user has
        sys.exit("Campus needs Python 3.11 or newer.")
    if not _python().exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = _lock_digest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    print("Installing pinned dependencies from requirements.lock ...", flush=True)
    pip = [str(_python()), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--require-hashes", "-r", str(LOCK)], check=True)
    subprocess.run([*pip, "install", "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(digest)


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


#: Tests that fail on xdist workers (a sandboxed process outlives the sweep there, not in a
#: plain pytest process): run after the others, in one process.
IN_PROCESS_ONLY = Path("tests") / "sandbox"


def _chooses_workers(args: list[str]) -> bool:
    for i, arg in enumerate(args):
        following = args[i + 1] if i + 1 < len(args) else ""
        if arg.startswith(("-n", "--numprocesses")) or arg in {"--pdb", "--trace"}:
            return True
        if (arg == "-p" and following == "no:xdist") or arg == "-pno:xdist":
            return True
    return False


def _pytest_runs(args: list[str]) -> list[list[str]]:
    """The pytest invocations for ``args``: one per CPU on xdist workers unless ``args`` choose
    (``-n``, ``-p no:xdist``); the in-process-only tests afterwards, in one process."""
    if _chooses_workers(args):
        return [args]
    workers = ["-n", str(_cpu_count())]
    paths = [ROOT / a.split("::")[0] for a in args if (ROOT / a.split("::")[0]).exists()]
    if not paths:
        ignore = f"--ignore={IN_PROCESS_ONLY}"
        return [[*workers, ignore, *args], ["-n", "0", *args, str(IN_PROCESS_ONLY)]]
    serial = IN_PROCESS_ONLY.resolve()
    for path in paths:
        full = path.resolve()
        if full == serial or serial in full.parents or full in serial.parents:
            return [["-n", "0", *args]]
    return [[*workers, *args]]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment()
    env = {**os.environ}
    if command == "setup":
        return 0
    if command == "run":
        env.setdefault("CAMPUS_ENV", "development")
        cli = BIN / "campus"
        return subprocess.call([str(cli), "serve", *rest], cwd=ROOT, env=env)
    env.setdefault("CAMPUS_ENV", "test")
    runs = _pytest_runs(rest)
    codes = [subprocess.call([str(_python()), "-m", "pytest", *a], cwd=ROOT, env=env) for a in runs]
    if codes[0] == 5:
        print("pytest collected no tests: that is a failure, not a pass.", file=sys.stderr)
        return 1
    # The in-process-only run may select nothing (``-k``, ``-m``): exit code 5 is fine there.
    return next((code for code in codes if code not in (0, 5)), 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
