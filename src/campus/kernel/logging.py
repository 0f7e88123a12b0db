"""JSON logs with the request id on every line, and secrets redacted before they are written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|authorization|cookie|api[-_]?key|otp|code_verifier|card|cvc|"
    r"recovery|private",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
#: ``scheme://user:password@host`` (database and SMTP URLs in error messages).
_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
#: ``password=...`` / ``"token": "..."`` inside free text (query strings, reprs, JSON dumps).
_INLINE_SECRET = re.compile(
    r"""((?:pass(?:word)?|secret|token|api[-_]?key)["']?\s*[=:]\s*["']?)[^\s&"',;}]+""",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def _redact_text(value: str) -> str:
    value = _BEARER.sub(r"\1" + REDACTED, value)
    value = _JWT.sub(REDACTED, value)
    value = _URL_CREDENTIALS.sub(r"\1" + REDACTED + "@", value)
    return _INLINE_SECRET.sub(r"\1" + REDACTED, value)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if _SECRET_KEY.search(str(k)) else _redact_value(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def redact_secrets(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: drop values of secret-looking keys and token-looking strings."""
    for key in list(event_dict):
        if key in {"event", "level", "timestamp", "logger", "request_id"}:
            if key == "event":
                event_dict[key] = _redact_value(event_dict[key])
            continue
        if _SECRET_KEY.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the call (like ``logging.lastResort``),
    so redirected or captured stderr (pytest's capsys) sees the lines."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    """One JSON object per line on stderr (``json_output``), for structlog and stdlib loggers
    alike, each carrying the bound ``request_id``. The JSON renderer escapes newlines, so a value
    cannot forge a second line (LOG-03); tracebacks are rendered before secrets are redacted so
    they are scrubbed too (LOG-01)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_campus", False):
            root.removeHandler(existing)
    handler._campus = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Campus writes its own access log line (without query strings, which may hold secrets).
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
