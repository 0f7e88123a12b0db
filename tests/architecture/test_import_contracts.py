"""ARCHITECTURE.md §3 rule 1: contexts talk only through their doorways (api, data, events)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    # In a subprocess: import-linter reconfigures logging (disabling existing loggers), which
    # must not leak into the other tests of this process.
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"an import-linter contract is broken:\n{result.stdout[-4000:]}"


def test_every_context_has_a_doorway_contract() -> None:
    contexts = [
        p.name
        for p in (ROOT / "src" / "campus").iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name != "kernel"
    ]
    config = (ROOT / ".importlinter").read_text()
    for context in contexts:
        if (ROOT / "src" / "campus" / context / "models.py").exists():
            assert f"contract:{context}-doorway" in config, f"{context} has no doorway contract"
