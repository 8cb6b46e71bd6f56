"""Secrets never reach the logs.

Carriers that cannot send headers (Exotel's applet URL, some diallers) present the media token
as ``?token=``; uvicorn logs each WebSocket path with its query string. This filter rewrites
such values to ``***`` in uvicorn's log records before any handler formats them.

Third-party code logs through loguru too (Pipecat services print URLs and errors, and some
vendors put the key in the URL), so the values of the process's own secrets are masked in
every loguru message, whatever their shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from loguru import logger
from pydantic import SecretStr

from shared.settings import Settings

# Shorter values would mask ordinary words; every real key is far longer.
MIN_SECRET_LENGTH = 8

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


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, single or in a name -> secret map."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        found = value.values() if isinstance(value, dict) else [value]
        values += [v.get_secret_value() for v in found if isinstance(v, SecretStr)]
    return values


def mask_secrets_in_loguru(values: Iterable[str]) -> None:
    """Mask these values in every loguru message from now on (replaces the patcher)."""
    secrets = sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    if not secrets:
        logger.configure(patcher=None)
        return
    pattern = re.compile("|".join(re.escape(secret) for secret in secrets))

    def patch(record: Any) -> None:
        record["message"] = pattern.sub("***", record["message"])

    logger.configure(patcher=patch)
