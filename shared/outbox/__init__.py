"""Durable delivery of call results and handoffs: SQLite outbox, signed HTTP, dead letters."""

from shared.outbox.sinks import (
    DeliveryError,
    HttpSink,
    JsonlSink,
    Sink,
    sign,
    verify_signature,
)
from shared.outbox.store import OutboxMessage, SqliteOutbox
from shared.outbox.worker import OutboxWorker

__all__ = [
    "DeliveryError",
    "HttpSink",
    "JsonlSink",
    "OutboxMessage",
    "OutboxWorker",
    "Sink",
    "SqliteOutbox",
    "sign",
    "verify_signature",
]
