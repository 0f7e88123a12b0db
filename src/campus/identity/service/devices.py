"""A short, human device label from a User-Agent header (for the sessions list)."""

from __future__ import annotations

import re

_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iPhone", re.compile(r"iPhone")),
    ("iPad", re.compile(r"iPad")),
    ("Android", re.compile(r"Android")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)
_CLIENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("curl", re.compile(r"^curl/", re.IGNORECASE)),
    ("HTTPie", re.compile(r"^HTTPie/", re.IGNORECASE)),
    ("Python", re.compile(r"python|httpx|aiohttp", re.IGNORECASE)),
    ("Postman", re.compile(r"PostmanRuntime", re.IGNORECASE)),
    ("Campus app", re.compile(r"^Campus", re.IGNORECASE)),
)


def device_label(user_agent: str | None) -> str:
    """``"Firefox on Windows"``, ``"curl"``, ``"Unknown device"``..."""
    if not user_agent:
        return "Unknown device"
    ua = user_agent[:512]
    for name, pattern in _CLIENTS:
        if pattern.search(ua):
            return f"{name} (API client)"
    browser = next((name for name, pattern in _BROWSERS if pattern.search(ua)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(ua)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"Browser on {system}"
    return "Unknown device"
