"""The published language: every event is a declared, versioned class with a publisher, and a
payload never changes without a new version."""

from __future__ import annotations

import ast
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from campus.config import Settings
from campus.kernel.events import Event, event_types
from campus.kernel.mail import make_mailer
from campus.main import build_registry

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "campus"
#: The payload schema of every ``name@version`` ever published. Regenerate the entries of a
#: new event or version with ``CAMPUS_WRITE_EVENT_SCHEMAS=1 python3 dev.py test
#: tests/architecture/test_events.py``; an existing entry must never change.
LOCK = Path(__file__).with_name("event_schemas.json")
#: Names kept when their publisher moved (they are stored in outboxes): name -> owner.
LEGACY_NAMES = {
    "assessment.code_submission_graded": "coding",
    "assessment.code_submission_passed": "coding",
}


def _published_class_names() -> set[str]:
    """Names of the classes constructed as the event of a ``publish(session, X(...))`` call."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            event = node.args[1]
            if name == "publish" and isinstance(event, ast.Call):
                target = event.func
                found.add(
                    target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                )
    return found


def _registry_events(settings: Settings) -> dict[str, type[Any]]:
    registry = build_registry(settings, make_mailer(settings))
    assert set(registry.subscribers) == set(registry.event_types), (
        "a context subscribes to an event by name: use registry.on(TheEvent, ...) with the "
        f"publisher's class ({sorted(set(registry.subscribers) - set(registry.event_types))})"
    )
    return dict(registry.event_types)


def _schema(event: type[Event]) -> dict[str, Any]:
    return event.model_json_schema(by_alias=True)


def test_every_subscribed_event_is_a_declared_class_with_a_publisher(settings: Settings) -> None:
    published = _published_class_names()
    for name, event in _registry_events(settings).items():
        assert issubclass(event, Event), name
        assert event_types().get(name) is event, f"{name} is declared more than once"
        assert event.__name__ in published, f"{name} has subscribers but nothing publishes it"
        assert event.__module__.endswith(".events"), f"{name} is not declared in an events.py"


def test_every_event_is_named_after_the_context_that_declares_it(settings: Settings) -> None:
    _registry_events(settings)
    for name, event in event_types().items():
        owner = event.__module__.split(".")[1]
        assert LEGACY_NAMES.get(name, name.split(".")[0]) == owner, f"{name} is declared by {owner}"


def test_every_event_class_is_published_somewhere(settings: Settings) -> None:
    _registry_events(settings)  # imports every context
    published = _published_class_names()
    silent = sorted(
        name for name, event in event_types().items() if event.__name__ not in published
    )
    assert silent == [], f"declared but never published: {silent}"


def _drift(locked: dict[str, Any], current: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(``name@version`` whose schema changed, ``name@version`` never recorded)."""
    changed = sorted(key for key in current if key in locked and locked[key] != current[key])
    return changed, sorted(key for key in current if key not in locked)


def test_a_changed_payload_is_caught_unless_its_version_moves() -> None:
    # Payload shapes as an Event would declare them (not registered as real events).
    class Before(BaseModel):
        model_config = Event.model_config
        thing_id: uuid.UUID

    class Renamed(BaseModel):
        model_config = Event.model_config
        other_id: uuid.UUID

    key = "architecture_test.thing_happened"
    locked = {f"{key}@1": Before.model_json_schema(by_alias=True)}
    renamed = Renamed.model_json_schema(by_alias=True)
    assert _drift(locked, {f"{key}@1": renamed}) == ([f"{key}@1"], [])
    assert _drift(locked, {f"{key}@2": renamed}) == ([], [f"{key}@2"])
    assert _drift(locked, {f"{key}@1": Before.model_json_schema(by_alias=True)}) == ([], [])


def test_no_payload_changes_without_a_version_bump(settings: Settings) -> None:
    _registry_events(settings)
    current = {
        f"{name}@{event.version}": _schema(event) for name, event in sorted(event_types().items())
    }
    locked: dict[str, Any] = json.loads(LOCK.read_text()) if LOCK.exists() else {}
    if os.environ.get("CAMPUS_WRITE_EVENT_SCHEMAS"):
        LOCK.write_text(json.dumps({**current, **locked}, indent=2, sort_keys=True) + "\n")
        pytest.skip("event schemas written; rerun without CAMPUS_WRITE_EVENT_SCHEMAS")
    changed, missing = _drift(locked, current)
    assert changed == [], (
        f"payloads changed without a new version: {changed}. Give the event a new `version` "
        "(consumers ignore unknown keys, so only adding an optional field needs none)."
    )
    assert missing == [], (
        f"new events or versions without a recorded schema: {missing}; record them with "
        "CAMPUS_WRITE_EVENT_SCHEMAS=1"
    )
