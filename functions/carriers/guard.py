"""A WebSocket wrapper that enforces a carrier protocol before Pipecat sees a message.

Pipecat's WebSocket transport reads ``websocket.receive()`` and closes with ``close()``. This
wrapper sits in between: a message that breaks the protocol (not JSON, binary, too big, an
unknown event, bad media) or the carrier's own hang-up event ends the receive loop as if the
peer had left, and the later ``close()`` sends the recorded code and reason. So every bad input
ends its own call with a clear close reason and one log line, and nothing else is affected.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from fastapi import WebSocket
from loguru import logger
from starlette.websockets import WebSocketState

from functions.carriers.base import (
    CLOSE_INVALID_PAYLOAD,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_UNSUPPORTED,
    CarrierProtocol,
    ProtocolViolation,
)

MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes


@dataclass
class Ending:
    """Why the socket's call ended, and how the close frame should say it."""

    code: int
    reason: str
    by: str  # caller | bot | error | timeout


def truncate_reason(reason: str) -> str:
    encoded = reason.encode()[:MAX_CLOSE_REASON_BYTES]
    return encoded.decode(errors="ignore")


class GuardedWebSocket:
    """Duck-types the parts of ``WebSocket`` the Pipecat transport uses."""

    def __init__(
        self, websocket: WebSocket, protocol: CarrierProtocol, *, max_message_bytes: int
    ) -> None:
        self._websocket = websocket
        self._protocol = protocol
        self._max_message_bytes = max_message_bytes
        self.started = False
        self.ending: Ending | None = None
        self.call_id = "-"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._websocket, name)

    def as_websocket(self) -> WebSocket:
        """This guard where Pipecat expects a ``WebSocket`` (it only duck-types one)."""
        return cast(WebSocket, self)

    def end(self, code: int, reason: str, by: str) -> None:
        """Record why the call ends (the first reason wins)."""
        if self.ending is None:
            self.ending = Ending(code, reason, by)

    def parse(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        """Validate one ASGI receive event; None means the peer left."""
        if raw["type"] == "websocket.disconnect":
            self.end(raw.get("code", 1005), "caller disconnected", "caller")
            return None
        if raw.get("bytes") is not None:
            raise ProtocolViolation(CLOSE_UNSUPPORTED, "binary frames are not part of the protocol")
        text = raw.get("text") or ""
        if len(text) > self._max_message_bytes:
            raise ProtocolViolation(
                CLOSE_TOO_BIG, f"message of {len(text)} bytes over {self._max_message_bytes}"
            )
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "message is not valid JSON") from None
        event = self._protocol.event_of(message)
        allowed = self._protocol.call_events if self.started else self._protocol.pre_start_events
        if event not in allowed and not (not self.started and event == "start"):
            if not self.started and event in self._protocol.call_events:
                raise ProtocolViolation(CLOSE_POLICY, f"'{event}' before 'start'")
            raise ProtocolViolation(CLOSE_POLICY, f"unknown event {event!r}")
        if self.started:
            self._protocol.check(message)
        return message

    async def receive_message(self) -> dict[str, Any] | None:
        """The next valid message as a dict, or None once the call has ended."""
        if self.ending is not None:
            return None
        try:
            message = self.parse(await self._websocket.receive())
        except ProtocolViolation as violation:
            self.end(violation.code, violation.reason, "error")
            logger.warning(
                f"call {self.call_id} ({self._protocol.kind}): closing {violation.code}: "
                f"{violation.reason}"
            )
            return None
        if (
            message is not None
            and self.started
            and message["event"] in self._protocol.hangup_events
        ):
            self.end(CLOSE_NORMAL, "caller hung up", "caller")
            return None
        return message

    async def receive(self) -> dict[str, Any]:
        """ASGI-shaped receive for Pipecat: valid messages pass, anything else ends the loop."""
        message = await self.receive_message()
        if message is None:
            return {"type": "websocket.disconnect", "code": CLOSE_NORMAL}
        return {"type": "websocket.receive", "text": json.dumps(message)}

    async def close(self, code: int = CLOSE_NORMAL, reason: str | None = None) -> None:
        """Close once, with the recorded ending, telling the peer first if its protocol can."""
        if self.ending is not None:
            code, reason = self.ending.code, self.ending.reason
        if (
            self._websocket.application_state == WebSocketState.DISCONNECTED
            or self._websocket.client_state == WebSocketState.DISCONNECTED
        ):
            return
        by = self.ending.by if self.ending else "bot"
        if by != "caller":
            notice = self._protocol.closing_message(by, code, reason or "")
            if notice is not None:
                with contextlib.suppress(Exception):
                    await self._websocket.send_text(notice)
        with contextlib.suppress(Exception):
            await self._websocket.close(code=code, reason=truncate_reason(reason or ""))
