"""Import contracts generated from the tree (ARCHITECTURE.md §3 rule 1 and §4).

Nothing here lists a module by hand: every module of a context that is not its doorway
(``api.py``, ``data.py``, ``events.py``) is found by walking the package, so a file added
tomorrow is private the day it is added. The order of the contexts comes from
``campus.modules.CONTEXTS``:

* the kernel imports no context and nothing of the composition root;
* ``sandbox`` is a library: it imports nothing from Campus;
* a context's private modules are imported by that context only;
* contexts are layered: a context may use the ``api`` of the contexts before it, and the
  ``data`` and ``events`` of any context; anything else between contexts (a cycle) fails;
* no context imports the composition root (``main``, ``cli``, ``worker``, ``models``, ``seed``,
  ``modules``);
* inside a context, ``service`` and ``repository`` import neither ``schemas`` (wire models) nor
  ``endpoints``: services return domain objects and the endpoints map them to the wire.

``python -m tests.architecture.contracts`` prints the configuration import-linter checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOORWAY = ("api", "data", "events")
#: Modules of the composition root: they wire contexts together, nothing imports them back.
COMPOSITION = ("main", "cli", "worker", "models", "seed", "modules")
#: Top-level packages that are libraries, not contexts.
LIBRARIES = ("kernel", "sandbox")


def _children(package_dir: Path) -> Iterator[str]:
    """Names of the modules and packages directly inside ``package_dir``."""
    for entry in sorted(package_dir.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir() and (entry / "__init__.py").exists():
            yield entry.name
        elif entry.suffix == ".py":
            yield entry.stem


def _exists(package_dir: Path, name: str) -> bool:
    return (package_dir / name / "__init__.py").exists() or (package_dir / f"{name}.py").exists()


def private_modules(src: Path, root: str, context: str) -> list[str]:
    """Every module of ``context`` but its doorway (subpackages stand for their contents)."""
    return [
        f"{root}.{context}.{name}"
        for name in _children(src / root / context)
        if name not in DOORWAY
    ]


def generate(src: Path, root: str, contexts: Sequence[str]) -> str:
    """The import-linter configuration for the package ``root`` under ``src``."""
    present = set(_children(src / root))
    composition = [f"{root}.{name}" for name in COMPOSITION if name in present]
    context_packages = [f"{root}.{context}" for context in contexts]
    sections = [
        f"[importlinter]\nroot_package = {root}\ninclude_external_packages = False\n",
        _contract(
            "kernel",
            "The kernel imports no context and nothing of the composition root",
            type="forbidden",
            source_modules=[f"{root}.kernel"],
            # ``modules`` is the list of contexts; it loads them with importlib, so the kernel
            # reaching it through ``config`` (settings sections) couples to no context.
            forbidden_modules=[
                *context_packages,
                *(m for m in composition if not m.endswith(".modules")),
                f"{root}.sandbox",
            ],
        ),
    ]
    if "sandbox" in present:
        others = sorted(f"{root}.{name}" for name in present if name != "sandbox")
        sections.append(
            _contract(
                "sandbox",
                "The sandbox is a library: it imports nothing from Campus",
                type="forbidden",
                source_modules=[f"{root}.sandbox"],
                forbidden_modules=others,
            )
        )
    sections.append(
        _contract(
            "composition-root",
            "No context imports the composition root",
            type="forbidden",
            source_modules=context_packages,
            forbidden_modules=[m for m in composition if not m.endswith(".modules")],
            allow_indirect_imports="True",
        )
    )
    for context in contexts:
        sections.append(
            _contract(
                f"{context}-doorway",
                f"Other contexts reach {context} only through api, data and events",
                type="protected",
                protected_modules=private_modules(src, root, context),
                allowed_importers=[f"{root}.{context}"],
            )
        )
    for context in contexts:
        base = src / root / context
        inner = [f"{root}.{context}.{n}" for n in ("service", "repository") if _exists(base, n)]
        wire = [f"{root}.{context}.{n}" for n in ("schemas", "endpoints") if _exists(base, n)]
        if inner and wire:
            sections.append(
                _contract(
                    f"{context}-domain-below-wire",
                    f"{context}: service and repository return domain objects, not wire models",
                    type="forbidden",
                    source_modules=inner,
                    forbidden_modules=wire,
                    allow_indirect_imports="True",
                )
            )
    # Lower contexts may read the published language (data, events) of higher ones.
    ignored = [
        f"{root}.{low}.** -> {root}.{high}.{doorway}"
        for index, low in enumerate(contexts)
        for high in contexts[index + 1 :]
        for doorway in ("data", "events")
        if (src / root / high / f"{doorway}.py").exists()
    ]
    sections.append(
        _contract(
            "context-order",
            "Contexts are layered in the declared order (no cycles between contexts)",
            type="layers",
            layers=[*reversed(context_packages), f"{root}.kernel"],
            ignore_imports=ignored,
            unmatched_ignore_imports_alerting="none",
        )
    )
    return "\n".join(sections)


def _contract(key: str, name: str, **options: str | list[str]) -> str:
    lines = [f"[importlinter:contract:{key}]", f"name = {name}"]
    for option, value in options.items():
        if isinstance(value, list):
            lines.append(f"{option} =")
            lines.extend(f"    {item}" for item in value)
        else:
            lines.append(f"{option} = {value}")
    return "\n".join(lines) + "\n"


def campus_config() -> str:
    from campus.modules import CONTEXTS

    return generate(ROOT / "src", "campus", CONTEXTS)


def lint(
    config: str, *, cwd: Path, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run import-linter on ``config`` in a subprocess (it reconfigures logging, which must not
    leak into the tests of this process)."""
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as handle:
        handle.write(config)
        path = Path(handle.name)
    env = None if pythonpath is None else {**os.environ, "PYTHONPATH": str(pythonpath)}
    command = [str(Path(sys.executable).with_name("lint-imports")), "--config", str(path)]
    try:
        return subprocess.run(
            [*command, "--no-cache"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        path.unlink()


if __name__ == "__main__":  # pragma: no cover
    print(campus_config())  # noqa: T201
