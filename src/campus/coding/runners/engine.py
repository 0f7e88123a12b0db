"""Which code runner grades submissions, built once per process from settings.

``code_runner = "local"`` (default): the layered sandbox on this host
(:class:`LocalSandboxRunner`). ``"judge0"``: a Judge0-compatible server at ``judge0_url``
(:class:`Judge0Runner`). Static analysis (metrics and ``ruff``) always runs in the local
sandbox when ``code_analysis`` is on, whatever grades the tests: it needs the learner's code
only, and a host that cannot sandbox simply reports the analysis as unavailable.

The engine is a singleton per configuration and event loop (``engine_for``): the app builds
it at start-up (and logs the sandbox's active layers), and job handlers in ``campus worker``
processes get the same one from their settings. Its asyncio primitives belong to one loop, so
an engine whose loop has closed (``campus serve`` seeds demo data in a first ``asyncio.run``)
is stopped and replaced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from campus.coding.runners.judge0 import Judge0Runner, judge0_runner
from campus.coding.runners.local import local_sandbox
from campus.coding.settings import CodingSettings
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.logging import get_logger
from campus.sandbox import (
    CodeRunner,
    LocalSandboxRunner,
    RunReport,
    SandboxLayers,
    SandboxLimits,
    SandboxUnavailable,
    TestCase,
)

log = get_logger("campus.coding.runners")


@dataclass
class GradingEngine:
    """The configured test runner plus the local sandbox used for analysis (if any)."""

    kind: str
    runner: CodeRunner
    sandbox: LocalSandboxRunner | None
    judge0_url: str | None = None
    analysis: bool = True
    loop: asyncio.AbstractEventLoop | None = None
    layers: SandboxLayers | None = None
    probed_at: datetime | None = None
    languages: tuple[str, ...] = ()
    #: Production: start-up fails unless the local sandbox isolates jobs (ADR 0024)
    production: bool = False
    allow_weak: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self) -> SandboxLayers | None:
        """Probe the local sandbox once (logs every layer) and learn the languages."""
        async with self._lock:
            if self.probed_at is None:
                if self.sandbox is not None:
                    try:
                        self.layers = await self.sandbox.start()
                    except SandboxUnavailable:
                        log.error("sandbox_refused", runner=self.kind)
                        raise  # the configuration requires what this host lacks: no start
                    except Exception:
                        log.exception("sandbox_probe_failed", runner=self.kind)
                        if self.kind == "local":
                            # The app still starts; code is refused (no language) until a
                            # later call probes successfully.
                            return None
                        self.sandbox = None  # Judge0 grades; only the analysis is lost
                if self.sandbox is not None and self.layers is not None:
                    log.info(
                        "sandbox_layers",
                        runner=self.kind,
                        active=list(self.layers.active()),
                        python=self.layers.python,
                        python_version=self.layers.python_version,
                        lint=self.layers.ruff,
                    )
                    for note in self.layers.notes:
                        log.warning("sandbox_layer_note", note=note)
                    self._check_isolation(self.layers)
                self.languages = await self._languages()
                self.probed_at = utcnow()
            return self.layers

    def _check_isolation(self, layers: SandboxLayers) -> None:
        """Fail closed: production never starts with a sandbox that does not isolate jobs;
        elsewhere grading is refused at run time unless the weak sandbox was accepted."""
        if layers.isolated:
            return
        if self.production:
            raise SandboxUnavailable(
                "production requires every job in its own namespaces, which this host cannot "
                "provide: install bubblewrap (apt-get install bubblewrap) or run the worker "
                "as root"
            )
        if layers.weak:
            log.warning("sandbox_weak", banner=banner(layers))
        else:
            log.error("sandbox_grading_refused", banner=banner(layers))

    async def _languages(self) -> tuple[str, ...]:
        if isinstance(self.runner, LocalSandboxRunner | Judge0Runner):
            return await self.runner.languages()
        return ("python",)

    async def run(
        self, language: str, source: str, tests: Sequence[TestCase], limits: SandboxLimits
    ) -> RunReport:
        await self.start()
        return await self.runner.run(language, source, tests, limits)

    async def close(self) -> None:
        if isinstance(self.runner, Judge0Runner):
            await self.runner.aclose()
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.close)

    def status(self) -> dict[str, Any]:
        pool = self.sandbox.uid_pool if self.sandbox else None
        return {
            "uid_pool_size": pool.size if pool else 0,
            "uid_pool_in_use": pool.in_use() if pool else 0,
        }


def banner(layers: SandboxLayers | None) -> str | None:
    """The operator's warning when the local sandbox does not isolate jobs (else ``None``)."""
    if layers is None or layers.isolated:
        return None
    if layers.weak:
        return (
            "WEAK SANDBOX (CAMPUS_SANDBOX_ALLOW_WEAK, development only): jobs are not isolated "
            "by namespaces; learners' code can reach this host's files, processes and network. "
            "Install bubblewrap (apt-get install bubblewrap) for full isolation."
        )
    return (
        "GRADING REFUSED: the sandbox cannot isolate jobs on this host (no namespaces). "
        "Install bubblewrap (apt-get install bubblewrap) or run the worker as root."
    )


_ENGINES: dict[tuple[Any, ...], GradingEngine] = {}


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _key(settings: Settings) -> tuple[Any, ...]:
    coding = CodingSettings.of(settings)
    return (
        coding.code_runner,
        coding.judge0_url,
        coding.code_analysis,
        coding.sandbox_bubblewrap,
        coding.sandbox_first_uid,
        coding.sandbox_uid_pool_size,
        coding.sandbox_workspace_root,
        coding.sandbox_max_concurrency,
        coding.sandbox_allow_weak,
        settings.is_production,
        id(_running_loop()),
    )


def _drop_engines_of_closed_loops() -> None:
    for key, engine in list(_ENGINES.items()):
        if engine.loop is not None and engine.loop.is_closed():
            del _ENGINES[key]
            if engine.sandbox is not None:
                engine.sandbox.close()  # threads and the zygote; nothing async is left


def build_engine(settings: Settings) -> GradingEngine:
    """A new engine for ``settings`` (``engine_for`` shares one per process)."""
    coding = CodingSettings.of(settings)
    sandbox = None
    if coding.code_runner == "local" or coding.code_analysis:
        sandbox = local_sandbox(coding)
    if coding.code_runner == "judge0":
        return GradingEngine(
            "judge0",
            judge0_runner(coding),
            sandbox,
            judge0_url=coding.judge0_url,
            analysis=coding.code_analysis,
            allow_weak=coding.sandbox_allow_weak,
        )
    assert sandbox is not None
    return GradingEngine(
        "local",
        sandbox,
        sandbox,
        analysis=coding.code_analysis,
        production=settings.is_production,
        allow_weak=coding.sandbox_allow_weak,
    )


def engine_for(settings: Settings) -> GradingEngine:
    """The engine for ``settings`` in the running event loop (built on first use)."""
    _drop_engines_of_closed_loops()
    key = _key(settings)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = build_engine(settings)
        engine.loop = _running_loop()
    return engine


def install_engine(settings: Settings, engine: GradingEngine) -> None:
    """Use ``engine`` for ``settings`` in the running loop (benchmarks, tests)."""
    engine.loop = _running_loop()
    _ENGINES[_key(settings)] = engine
