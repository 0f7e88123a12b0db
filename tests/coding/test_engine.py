"""The code runner engine: one per configuration and event loop, replaced when its loop has
closed (``campus serve`` seeds demo data in a first ``asyncio.run``), and a failing sandbox
probe does not stop the app (code is refused until a probe succeeds)."""

from __future__ import annotations

import asyncio

from campus.coding.runners import engine as runners
from campus.coding.runners.engine import GradingEngine, engine_for
from campus.config import Settings
from campus.sandbox import LocalSandboxRunner, SandboxLayers


def test_an_engine_whose_event_loop_closed_is_stopped_and_replaced(settings: Settings) -> None:
    async def get() -> GradingEngine:
        return engine_for(settings)

    first = asyncio.run(get())
    second = asyncio.run(get())
    assert first is not second
    assert first not in runners._ENGINES.values()
    assert second.loop is not None
    assert second.loop.is_closed()


async def test_the_same_loop_gets_the_same_engine(settings: Settings) -> None:
    assert engine_for(settings) is engine_for(settings)


async def test_a_failing_probe_leaves_the_engine_without_languages_until_it_succeeds() -> None:
    runner = LocalSandboxRunner(languages=("python",))
    real_start = runner.start
    calls = 0

    async def flaky() -> SandboxLayers:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the sandbox probe needs a free uid in the pool")
        return await real_start()

    runner.start = flaky  # type: ignore[method-assign]
    engine = GradingEngine("local", runner, runner)
    try:
        assert await engine.start() is None
        assert (engine.languages, engine.probed_at) == ((), None)
        layers = await engine.start()
        assert layers is not None
        assert "python" in engine.languages
    finally:
        runner.close()
