"""The community context's tables."""

from __future__ import annotations
