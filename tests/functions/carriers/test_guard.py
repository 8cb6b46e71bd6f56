"""The protocol guard turns every kind of bad message into a close code and reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.carriers.base import ProtocolViolation
from functions.carriers.exotel import ExotelProtocol
from functions.carriers.guard import GuardedWebSocket, truncate_reason


class FakeSocket:
    """Only what the guard touches: ``receive`` from a scripted list."""

    def __init__(self, *events: dict[str, Any]) -> None:
        self.events = list(events)

    async def receive(self) -> dict[str, Any]:
        return self.events.pop(0)


def text(message: Any) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": json.dumps(message)}


def guard(*events: dict[str, Any], started: bool = True) -> GuardedWebSocket:
    wrapped = GuardedWebSocket(FakeSocket(*events), ExotelProtocol(), max_message_bytes=1000)  # type: ignore[arg-type]
    wrapped.started = started
    return wrapped


MEDIA = {"event": "media", "media": {"payload": "AAAAAA=="}}  # two samples


@pytest.mark.parametrize(
    ("raw", "code", "reason"),
    [
        ({"type": "websocket.receive", "text": "{oops"}, 1007, "not valid JSON"),
        ({"type": "websocket.receive", "bytes": b"\x00\x01"}, 1003, "binary frames"),
        ({"type": "websocket.receive", "text": "x" * 2000}, 1009, "over 1000"),
        (text([1, 2]), 1008, "JSON object"),
        (text({"no": "event"}), 1008, "no 'event'"),
        (text({"event": "teleport"}), 1008, "unknown event 'teleport'"),
        (text({"event": "media", "media": {}}), 1007, "without a base64"),
        (text({"event": "media", "media": {"payload": "!!!"}}), 1007, "not base64"),
        (text({"event": "media", "media": {"payload": "AAAA"}}), 1007, "whole samples"),
    ],
)
async def test_violations_end_the_call_with_a_reason(
    raw: dict[str, Any], code: int, reason: str
) -> None:
    wrapped = guard(raw)
    assert await wrapped.receive() == {"type": "websocket.disconnect", "code": 1000}
    assert wrapped.ending is not None
    assert (wrapped.ending.code, wrapped.ending.by) == (code, "error")
    assert reason in wrapped.ending.reason


async def test_media_before_start_is_refused() -> None:
    wrapped = guard(text(MEDIA), started=False)
    assert await wrapped.receive_message() is None
    assert wrapped.ending is not None and wrapped.ending.reason == "'media' before 'start'"


async def test_valid_media_passes_and_stop_means_the_caller_hung_up() -> None:
    wrapped = guard(text(MEDIA), text({"event": "stop"}))
    assert json.loads((await wrapped.receive())["text"]) == MEDIA
    assert (await wrapped.receive())["type"] == "websocket.disconnect"
    assert wrapped.ending is not None and wrapped.ending.by == "caller"


async def test_first_ending_wins() -> None:
    wrapped = guard()
    wrapped.end(1000, "bot ended the call", "bot")
    wrapped.end(1011, "later problem", "error")
    assert wrapped.ending is not None and wrapped.ending.reason == "bot ended the call"


def test_close_reasons_fit_a_close_frame() -> None:
    assert len(truncate_reason("é" * 200).encode()) <= 123


def test_violation_carries_code() -> None:
    assert ProtocolViolation(1008, "x").code == 1008
