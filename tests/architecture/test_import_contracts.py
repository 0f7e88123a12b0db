"""ARCHITECTURE.md §3 rule 1: contexts talk only through their doorways (api, data, events)."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exit_code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True)
    finally:
        os.chdir(cwd)
    assert exit_code == 0, "an import-linter contract is broken (run `lint-imports` for details)"


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
