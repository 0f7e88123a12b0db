"""ARCHITECTURE.md §3 rule 1 and §4: the generated import contracts hold on Campus, and they
catch what they exist to catch on a small package built for the purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.contracts import ROOT, campus_config, generate, lint, private_modules


def test_the_generated_contracts_hold_on_campus() -> None:
    result = lint(campus_config(), cwd=ROOT)
    assert result.returncode == 0, f"an import contract is broken:\n{result.stdout[-6000:]}"


def test_every_module_of_a_context_but_its_doorway_is_private() -> None:
    private = private_modules(ROOT / "src", "campus", "catalog")
    assert "campus.catalog.service" in private
    assert "campus.catalog.models" in private
    assert not {"campus.catalog.api", "campus.catalog.data", "campus.catalog.events"} & set(private)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A package ``shop`` with a kernel, a sandbox and two contexts (``alpha`` before ``beta``),
    plus ``files`` ({relative path: source})."""
    base = {
        "shop/__init__.py": "",
        "shop/main.py": "import shop.alpha.api\nimport shop.beta.api\n",
        "shop/kernel/__init__.py": "",
        "shop/kernel/db.py": "",
        "shop/sandbox/__init__.py": "",
        "shop/sandbox/run.py": "import os\n",
        "shop/alpha/__init__.py": "",
        "shop/alpha/api.py": "from shop.alpha import service\n",
        "shop/alpha/data.py": "",
        "shop/alpha/events.py": "",
        "shop/alpha/service.py": "import shop.kernel.db\n",
        "shop/beta/__init__.py": "",
        "shop/beta/api.py": "import shop.alpha.api\nimport shop.alpha.data\n",
        "shop/beta/data.py": "",
        "shop/beta/events.py": "import shop.alpha.events\n",
    }
    for relative, source in {**base, **files}.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


def _check(tmp_path: Path, files: dict[str, str]) -> str:
    src = _package(tmp_path, files)
    result = lint(generate(src, "shop", ("alpha", "beta")), cwd=src, pythonpath=src)
    return result.stdout if result.returncode else ""


def test_a_well_behaved_package_keeps_every_contract(tmp_path: Path) -> None:
    assert _check(tmp_path, {}) == ""


def test_a_new_private_module_imported_from_another_context_fails(tmp_path: Path) -> None:
    broken = _check(
        tmp_path,
        {
            "shop/alpha/pricing.py": "",  # added today, listed nowhere
            "shop/beta/service.py": "import shop.alpha.pricing\n",
        },
    )
    assert "Other contexts reach alpha only through api, data and events BROKEN" in broken
    assert "shop.alpha.pricing" in broken


def test_a_cycle_between_contexts_fails(tmp_path: Path) -> None:
    broken = _check(tmp_path, {"shop/alpha/service.py": "import shop.beta.api\n"})
    assert "Contexts are layered in the declared order (no cycles between contexts) BROKEN" in (
        broken
    )


def test_an_earlier_context_may_read_a_later_ones_data_and_events(tmp_path: Path) -> None:
    files = {"shop/alpha/service.py": "import shop.beta.events\nimport shop.beta.data\n"}
    assert _check(tmp_path, files) == ""


@pytest.mark.parametrize("target", ["shop.kernel.db", "shop.alpha.api"])
def test_the_sandbox_importing_anything_of_the_platform_fails(tmp_path: Path, target: str) -> None:
    broken = _check(tmp_path, {"shop/sandbox/run.py": f"import {target}\n"})
    assert "The sandbox is a library: it imports nothing from Campus BROKEN" in broken


def test_the_kernel_importing_a_context_fails(tmp_path: Path) -> None:
    broken = _check(tmp_path, {"shop/kernel/db.py": "import shop.alpha.data\n"})
    assert "The kernel imports no context and nothing of the composition root BROKEN" in broken


def test_a_service_returning_wire_models_fails(tmp_path: Path) -> None:
    broken = _check(
        tmp_path,
        {
            "shop/alpha/schemas.py": "",
            "shop/alpha/service.py": "import shop.alpha.schemas\n",
        },
    )
    assert "alpha: service and repository return domain objects, not wire models BROKEN" in (broken)


def test_endpoints_mapping_domain_objects_to_wire_models_keep_the_contracts(
    tmp_path: Path,
) -> None:
    files = {
        "shop/alpha/schemas.py": "",
        "shop/alpha/endpoints.py": "import shop.alpha.schemas\nimport shop.alpha.service\n",
    }
    assert _check(tmp_path, files) == ""
