"""``campus worker``: the scale-out path for events and jobs (docs/adr/0002).

Builds the same Database and handler registry as the app (``campus.main``) and loops
``Relay.run_once()``. When idle it waits on Redis (``BLPOP <namespace>:outbox:wake``, timeout =
``outbox_poll_seconds``) if ``CAMPUS_REDIS_URL`` is set, otherwise it polls. SIGTERM/SIGINT stop it
gracefully: the message in hand is finished, the rest of its batch is handed back, exit code 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket

from campus.config import Settings
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging, get_logger
from campus.kernel.mail import make_mailer
from campus.kernel.wakeup import RedisWakeup
from campus.main import build_database, build_registry, build_relay

log = get_logger("campus.worker")

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def run_worker(
    settings: Settings,
    concurrency: int = 1,
    *,
    stop: asyncio.Event | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Run until ``stop`` is set or SIGTERM/SIGINT arrives. ``concurrency`` relays share the
    process (each claims its own batches)."""
    configure_logging(settings.log_level, json_output=settings.log_json)
    stop = stop or asyncio.Event()
    db = build_database(settings)
    registry = build_registry(settings, make_mailer(settings))
    wakeup: RedisWakeup | None = None
    if settings.redis_url:
        wakeup = RedisWakeup(settings.redis_url, settings.redis_namespace)
    remove_wakeup = db.on_outbox_commit(wakeup.notify) if wakeup is not None else None
    base_id = f"worker-{socket.gethostname()[:30]}-{os.getpid()}"
    relays = [
        build_relay(settings, db, registry, worker_id=f"{base_id}-{index}")
        for index in range(max(1, concurrency))
    ]

    def request_stop(reason: str) -> None:
        if not stop.is_set():
            log.info("worker_stopping", reason=reason)
        for relay in relays:
            relay.request_stop()
        stop.set()

    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if install_signal_handlers:
        for sig in _SIGNALS:
            loop.add_signal_handler(sig, request_stop, sig.name)
            installed.append(sig)
    stop_watcher = asyncio.create_task(_propagate_stop(stop, relays))
    log.info(
        "worker_started",
        concurrency=len(relays),
        wake="redis" if wakeup is not None else "poll",
        poll_seconds=settings.outbox_poll_seconds,
    )
    try:
        await asyncio.gather(
            *(_relay_loop(relay, stop, wakeup, settings.outbox_poll_seconds) for relay in relays)
        )
    finally:
        stop_watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stop_watcher
        for sig in installed:
            loop.remove_signal_handler(sig)
        if remove_wakeup is not None:
            remove_wakeup()
        if wakeup is not None:
            await wakeup.aclose()
        await db.dispose()
        log.info("worker_stopped")


async def _propagate_stop(stop: asyncio.Event, relays: list[Relay]) -> None:
    """A ``stop`` set by the embedder (not a signal) also stops the relays between messages."""
    await stop.wait()
    for relay in relays:
        relay.request_stop()


async def _relay_loop(
    relay: Relay, stop: asyncio.Event, wakeup: RedisWakeup | None, poll_seconds: float
) -> None:
    idle = False
    while not stop.is_set():
        try:
            handled = await relay.run_once()
        except Exception:  # database away: keep the worker alive and try again after a poll
            log.exception("worker_error", worker_id=relay.worker_id)
            handled = 0
        if handled or stop.is_set():
            idle = False
            continue
        if not idle:  # once per transition, not per poll
            log.debug("worker_idle", worker_id=relay.worker_id)
            idle = True
        if wakeup is not None:
            await wakeup.wait(poll_seconds, stop)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
