"""Secret query parameters are redacted from uvicorn's log records."""

from __future__ import annotations

import logging

from functions.redaction import RedactSecrets, redact


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
