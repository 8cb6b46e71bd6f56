"""Where outbox messages go: the bridge over signed HTTP, or a local JSONL file.

A sink either returns (delivered) or raises ``DeliveryError`` saying whether trying again
can help. Error texts name a status or an exception class only: never a body, URL or secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import SecretStr

from shared.outbox.store import OutboxMessage

RETRYABLE_STATUS = frozenset({408, 425, 429})


class DeliveryError(Exception):
    """A failed delivery; ``retryable`` False sends the message to the dead letters."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Sink(Protocol):
    async def deliver(self, message: OutboxMessage) -> None: ...


def _secret_bytes(secret: SecretStr | str | bytes) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: SecretStr | str | bytes, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, b"<timestamp>." + body)>``."""
    mac = hmac.new(_secret_bytes(secret), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: SecretStr | str | bytes,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance_s: float = 300,
) -> bool:
    """What a bridge runs on each POST: right key, this exact body, and not a stale replay."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)


def encode_payload(message: OutboxMessage) -> bytes:
    return json.dumps(message.payload, separators=(",", ":")).encode()


class HttpSink:
    """POSTs each payload to the bridge, signed; a repeated key must be a success there."""

    def __init__(self, url: str, secret: SecretStr, timeout: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"HttpSink(url={self.url!r}, timeout={self.timeout})"

    async def deliver(self, message: OutboxMessage) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        body = encode_payload(message)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
            "X-VoxCore-Kind": message.kind,
            "X-VoxCore-Timestamp": str(timestamp),
            "X-VoxCore-Signature": sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:  # connection refused/reset, timeouts, protocol errors
            raise DeliveryError(type(exc).__name__, retryable=True) from None
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return
        retryable = status in RETRYABLE_STATUS or status >= 500
        raise DeliveryError(f"HTTP {status}", retryable=retryable)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class JsonlSink:
    """The embedded default: one fsync'd line per message, key included for dedupe on read."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    async def deliver(self, message: OutboxMessage) -> None:
        line = json.dumps(
            {
                "kind": message.kind,
                "idempotency_key": message.idempotency_key,
                "payload": message.payload,
            },
            separators=(",", ":"),
        )
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            raise DeliveryError(type(exc).__name__, retryable=True) from None

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())


class RoutingSink:
    """Delivers each message by its kind: call results to the bridge, recordings to storage."""

    def __init__(self, routes: dict[str, Sink]) -> None:
        self.routes = routes

    async def deliver(self, message: OutboxMessage) -> None:
        sink = self.routes.get(message.kind)
        if sink is None:
            raise DeliveryError(f"no sink for messages of kind {message.kind!r}", retryable=False)
        await sink.deliver(message)

    async def aclose(self) -> None:
        """Close the routes that hold connections (the HTTP sink's client)."""
        for sink in self.routes.values():
            close = getattr(sink, "aclose", None)
            if close is not None:
                await close()
