"""The booking context's tables."""

from __future__ import annotations
