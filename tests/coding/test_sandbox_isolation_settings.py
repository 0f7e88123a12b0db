"""The sandbox fails closed (ADR 0024): start-up refuses a configuration the host cannot
honour (``CAMPUS_SANDBOX_BUBBLEWRAP=true`` without bubblewrap, production without namespaces),
grading refuses a sandbox that does not isolate jobs unless ``CAMPUS_SANDBOX_ALLOW_WEAK``
accepts it, and operators see which isolation each host gets. SB-20 through the API: a lone
surrogate returned by ``solve`` is a verdict, never a 5xx or an ERROR."""

from __future__ import annotations

import dataclasses

import pytest
from httpx import AsyncClient

from campus.coding.runners.engine import GradingEngine, banner, build_engine
from campus.coding.settings import CodingSettings
from campus.config import Settings
from campus.kernel.jobs import Relay
from campus.sandbox import LocalSandboxRunner, SandboxLayers, SandboxUnavailable
from campus.sandbox import probe as probe_module
from tests.fixtures.catalog import ok
from tests.fixtures.coding import API, CodingFactory

LONE_SURROGATE = (
    "def solve(a, b):\n    return '\\ud800' * (a + b)\n\n"
    "if __name__ == '__main__':\n    print('\\udcff')\n"
)


class _StubSandbox:
    """A sandbox whose probe reports ``layers`` (no program is run)."""

    def __init__(self, layers: SandboxLayers) -> None:
        self.layers = layers
        self.uid_pool = None

    async def start(self) -> SandboxLayers:
        return self.layers

    async def languages(self) -> tuple[str, ...]:
        return ("python",)

    def close(self) -> None:
        pass


def _unisolated(weak: bool) -> SandboxLayers:
    return SandboxLayers(
        rlimits=True,
        uid_switch=True,
        bubblewrap=False,
        pid_namespace=False,
        network_isolated=False,
        weak=weak,
        notes=("bubblewrap (bwrap) is not installed",),
    )


async def test_required_bubblewrap_that_is_missing_stops_the_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probe_module, "find_bwrap", lambda: None)
    engine = build_engine(settings.replace(sandbox_bubblewrap=True))
    try:
        with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
            await engine.start()
    finally:
        await engine.close()


async def test_production_refuses_to_start_without_namespaces() -> None:
    stub = _StubSandbox(_unisolated(weak=False))
    engine = GradingEngine("local", stub, stub, production=True)  # type: ignore[arg-type]
    with pytest.raises(SandboxUnavailable, match="namespaces"):
        await engine.start()


async def test_a_weak_sandbox_outside_production_starts_with_a_banner() -> None:
    weak = _unisolated(weak=True)
    stub = _StubSandbox(weak)
    engine = GradingEngine("local", stub, stub, allow_weak=True)  # type: ignore[arg-type]
    assert await engine.start() is weak
    text = banner(weak)
    assert text is not None
    assert "WEAK SANDBOX" in text
    assert "apt-get install bubblewrap" in text
    refused = banner(dataclasses.replace(weak, weak=False))
    assert refused is not None
    assert "GRADING REFUSED" in refused


def test_allow_weak_is_a_development_setting_only() -> None:
    with pytest.raises(ValueError, match="CAMPUS_SANDBOX_ALLOW_WEAK"):
        CodingSettings(sandbox_allow_weak=True).check_production()
    CodingSettings().check_production()


async def test_grading_refused_without_isolation_is_an_error_with_a_clear_message() -> None:
    runner = LocalSandboxRunner(use_bubblewrap=False, use_namespaces=False, languages=("python",))
    try:
        layers = await runner.start()
        assert not layers.isolated
        from campus.sandbox import SandboxLimits, TestCase

        report = await runner.run(
            "python", "print(1)\n", [TestCase("t", "stdio", "", "1\n")], SandboxLimits()
        )
        assert report.status.value == "ERROR"
        assert report.error is not None
        assert "grading is refused" in report.error
    finally:
        runner.close()


async def test_the_status_names_the_isolation_of_this_host(
    client: AsyncClient, coding: CodingFactory
) -> None:
    world = await coding.world()
    status = ok(await client.get(f"{API}/admin/sandbox", headers=world.admin.headers))
    layers = status["layers"]
    assert layers["isolation"] in ("bubblewrap", "namespaces")
    assert layers["pidNamespace"]
    assert layers["networkIsolated"]
    assert layers["mountNamespace"]
    assert layers["privateFilesystem"]
    assert layers["ipcNamespace"]
    assert layers["jobLimits"] in ("cgroup v1", "cgroup v2", "sampled")
    assert layers["weak"] is False
    assert status["banner"] is None


async def test_a_lone_surrogate_is_a_verdict_on_run_and_on_submit(
    coding: CodingFactory, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    ran = ok(await coding.run(world.learner, exercise["id"], LONE_SURROGATE))
    assert ran["status"] == "FAILED"
    graded = await coding.graded(relay, world.learner, exercise["id"], LONE_SURROGATE)
    assert graded["status"] == "FAILED", graded
