"""Sandbox test fixtures (they live in tests/fixtures/sandbox.py, shared with the coding tests)."""

from __future__ import annotations

from tests.fixtures.sandbox import (
    bwrap_sandbox,
    canary,
    contained,
    layers,
    namespace_sandbox,
    plain_sandbox,
    sandbox,
    weak_sandbox,
    workspace_root,
)

__all__ = [
    "bwrap_sandbox",
    "canary",
    "contained",
    "layers",
    "namespace_sandbox",
    "plain_sandbox",
    "sandbox",
    "weak_sandbox",
    "workspace_root",
]
