"""What booking plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.kernel.module import ContextModule

MODULE = ContextModule(name="booking")
