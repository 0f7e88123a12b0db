"""Signed one-click unsubscribe links (RFC 8058): ``user id . category . HMAC``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from campus.config import Settings
from campus.notifications.data import Category


def _key(settings: Settings) -> bytes:
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"campus.notifications.unsubscribe", hashlib.sha256).digest()


def _mac(settings: Settings, body: str) -> str:
    digest = hmac.new(_key(settings), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def token(settings: Settings, user_id: uuid.UUID, category: str) -> str:
    body = f"{user_id.hex}.{category}"
    return f"{body}.{_mac(settings, body)}"


def link(settings: Settings, user_id: uuid.UUID, category: str) -> str:
    base = settings.base_url.rstrip("/")
    return f"{base}/api/v1/notifications/unsubscribe?token={token(settings, user_id, category)}"


def parse(settings: Settings, value: str) -> tuple[uuid.UUID, Category] | None:
    """The user and category of a valid token; None for anything else."""
    parts = value.split(".")
    if len(parts) != 3 or len(value) > 200:
        return None
    user_hex, category, mac = parts
    if not hmac.compare_digest(mac, _mac(settings, f"{user_hex}.{category}")):
        return None
    try:
        return uuid.UUID(hex=user_hex), Category(category)
    except ValueError:
        return None
