"""Secrets in URLs never reach the logs.

Carriers that cannot send headers (Exotel's applet URL, some diallers) present the media token
as ``?token=``; uvicorn logs each WebSocket path with its query string. This filter rewrites
such values to ``***`` in uvicorn's log records before any handler formats them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

SECRET_PARAMS = re.compile(
    r"(?i)\b(token|access_token|signature|sig|secret|password|api_key|key)=([^&\s\"'#]+)"
)
UVICORN_LOGGERS = ("uvicorn.error", "uvicorn.access")


def redact(text: str) -> str:
    return SECRET_PARAMS.sub(lambda match: f"{match.group(1)}=***", text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Redacts secret query parameters in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


def redact_server_logs() -> None:
    """Install the filter on uvicorn's loggers (once, however many apps are built)."""
    for name in UVICORN_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in log.filters):
            log.addFilter(RedactSecrets())
