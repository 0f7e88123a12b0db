"""Typed domain events: the published language contexts talk in (ARCHITECTURE.md §3 rule 6).

An event is a frozen model with a stable ``name`` (``context.something_happened``), a
``version`` and a typed payload (its fields). Publishers declare their events in their
context's ``events.py`` and write them with ``publish(session, SomethingHappened(...))`` in the
transaction of the change; subscribers register with ``registry.on(SomethingHappened, name,
handler)`` and receive the parsed event.

The payload is stored as JSON with camelCase keys. Consumers ignore keys they do not know, so
a publisher may add an optional field; any other change to a payload (a removed, renamed or
retyped field) needs a new ``version``. ``tests/architecture/test_events.py`` holds the
published schemas and fails on a change without a version bump, and on a subscription to an
event nothing publishes.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.ids import new_id
from campus.kernel.outbox import MessageKind, OutboxMessage, mark_outbox_dirty

_EVENT_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    """Base of every domain event. Subclasses set ``name`` (and ``version`` when a payload
    changes incompatibly) and declare the payload as fields."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
        ser_json_timedelta="float",
    )

    name: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not isinstance(name, str):
            raise TypeError(f"event {cls.__qualname__} must declare a stable `name`")
        known = _EVENT_TYPES.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"event name {name!r} is declared twice ({known.__qualname__})")
        _EVENT_TYPES[name] = cls

    def payload(self) -> dict[str, Any]:
        """The JSON payload stored in the outbox (camelCase keys)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> Any:
        """The event a subscriber receives, parsed from a stored payload."""
        return cls.model_validate(payload)


def event_types() -> dict[str, type[Event]]:
    """Every event class imported so far, by name (the architecture tests walk them)."""
    return dict(_EVENT_TYPES)


async def publish(session: AsyncSession, event: Event) -> uuid.UUID:
    """Record ``event`` in the caller's transaction; the relay delivers it after commit."""
    message = OutboxMessage(
        id=new_id(),
        kind=MessageKind.EVENT,
        name=event.name,
        version=event.version,
        payload=event.payload(),
    )
    session.add(message)
    mark_outbox_dirty(session)
    return message.id
