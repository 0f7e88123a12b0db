#!/usr/bin/env python3
"""Campus developer entry point. Needs only Python 3.11+ and the standard library.

    python3 dev.py run     # install (first time), migrate, seed demo data, serve on :8000
    python3 dev.py test    # install (first time) and run the whole test suite

Dependencies are installed into ./.venv from requirements.lock (pinned, hash-checked), and
reinstalled only when the lock file changes. Extra arguments after ``run`` go to
``campus serve``; after ``test`` to pytest. ``test`` runs the suite on one pytest-xdist worker
per CPU unless the arguments choose (``-n 0`` runs it in a single process).
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


def _chooses_workers(args: list[str]) -> bool:
    for i, arg in enumerate(args):
        following = args[i + 1] if i + 1 < len(args) else ""
        if arg.startswith(("-n", "--numprocesses")) or arg in {"--pdb", "--trace"}:
            return True
        if (arg == "-p" and following == "no:xdist") or arg == "-pno:xdist":
            return True
    return False


def _pytest_args(args: list[str]) -> list[str]:
    """One pytest-xdist worker per CPU unless ``args`` choose (``-n``, ``-p no:xdist``)."""
    return args if _chooses_workers(args) else ["-n", str(_cpu_count()), *args]


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
    pytest = [str(_python()), "-m", "pytest", *_pytest_args(rest)]
    code = subprocess.call(pytest, cwd=ROOT, env=env)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass.", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
