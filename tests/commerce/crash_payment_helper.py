"""Run by ``test_crash_safety.py`` as a Campus process that dies with SIGKILL between a
payment's success and its fulfilment.

    python crash_payment_helper.py <database url> <gateway payment id>

It applies the sandbox's view of the payment (as the webhook would: the order is paid and
``OrderPaid`` written to the outbox, committed), prints ``PAID``, then runs a relay with the
commerce handlers exactly as ``campus worker`` registers them, and kills itself right after the
fulfilment has granted the first entitlement (inside the handler's uncommitted transaction),
printing ``GRANTED``. Nothing here is imported by the test process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from typing import Any

from campus.commerce import tasks as commerce_tasks
from campus.commerce.gateways.sandbox import SandboxGateway
from campus.commerce.service.payments import apply_gateway_payment
from campus.config import Environment, Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.outbox import HandlerRegistry
from campus.learning import api as learning_api

LEASE_SECONDS = 60


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def die_mid_fulfilment(url: str, gateway_payment_id: str) -> None:
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        jobs_in_process=False,
        seed_demo_on_first_run=False,
        outbox_lease_seconds=LEASE_SECONDS,
    )
    db = Database(url)
    view = await SandboxGateway(settings).get_payment(gateway_payment_id)
    async with db.session() as session:
        await apply_gateway_payment(session, view, source="webhook")
    say(f"PAID status={view.status.value}")

    real_grant = learning_api.grant_entitlement

    async def grant_then_die(session: Any, **kwargs: Any) -> Any:
        granted = await real_grant(session, **kwargs)
        say(f"GRANTED pid={os.getpid()} course={kwargs.get('course_id', uuid.UUID(int=0))}")
        os.kill(os.getpid(), signal.SIGKILL)
        return granted

    learning_api.grant_entitlement = grant_then_die
    registry = HandlerRegistry()
    commerce_tasks.register(registry, settings)
    relay = Relay(db, registry, worker_id="doomed-fulfiller", lease_seconds=LEASE_SECONDS)
    await relay.drain()
    say("SURVIVED")  # never reached


def main() -> None:
    configure_logging("WARNING")
    asyncio.run(die_mid_fulfilment(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
