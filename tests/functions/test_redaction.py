"""Secrets are masked in logs: query parameters in uvicorn's records, values in loguru's."""

from __future__ import annotations

import logging

from loguru import logger
from pydantic import SecretStr

from functions.redaction import RedactSecrets, mask_secrets_in_loguru, redact, secret_values
from shared.settings import Settings


def test_secret_parameters_are_masked_and_the_rest_kept() -> None:
    line = '127.0.0.1 - "WebSocket /ws/exotel?bot=support-desk&token=s3cr3t&Signature=abc" [ok]'
    assert redact(line) == (
        '127.0.0.1 - "WebSocket /ws/exotel?bot=support-desk&token=***&Signature=***" [ok]'
    )


def test_the_filter_rewrites_uvicorn_style_records() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [%s]',
        ("127.0.0.1:5000", "/ws/dialler?token=s3cr3t", "accepted"),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/ws/dialler?token=***" in record.getMessage()


def test_secret_values_are_masked_in_every_loguru_message() -> None:
    settings = Settings(
        bridge_secret=SecretStr("canary-bridge-secret"),
        provider_keys={"openai": SecretStr("sk-canary-openai-key")},
        media_token=SecretStr("short"),
    )
    assert set(secret_values(settings)) == {
        "canary-bridge-secret",
        "sk-canary-openai-key",
        "short",
    }
    lines: list[str] = []
    sink = logger.add(lines.append, format="{message}")
    try:
        mask_secrets_in_loguru(secret_values(settings))
        logger.info("GET https://api.example/v1?key=sk-canary-openai-key failed")
        logger.info("signed with canary-bridge-secret; the short one stays: short")
    finally:
        logger.remove(sink)
        mask_secrets_in_loguru([])
    assert lines == [
        "GET https://api.example/v1?key=*** failed\n",
        "signed with ***; the short one stays: short\n",
    ]
