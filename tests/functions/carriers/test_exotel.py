"""Exotel start messages: what is accepted, and the reasons for what is not."""

from __future__ import annotations

from typing import Any

import pytest

from functions.carriers.base import ProtocolViolation
from functions.carriers.exotel import ExotelProtocol


def start(**overrides: Any) -> dict[str, Any]:
    body = {
        "stream_sid": "s1",
        "call_sid": "c1",
        "account_sid": "a1",
        "from": "09876543210",
        "to": "08040001000",
        "custom_parameters": {"bot": "support-desk"},
        "media_format": {"encoding": "base64", "sample_rate": "8000", "bit_rate": "128kbps"},
    }
    body.update(overrides)
    return {"event": "start", "start": body}


def test_start_becomes_a_call_request() -> None:
    info = ExotelProtocol().parse_start(start(), {})
    request = info.request
    assert (request.call_id, request.transport, request.sample_rate) == ("c1", "exotel", 8000)
    assert request.bot_id == "support-desk"
    assert request.to_number == "08040001000"
    assert info.stream_id == "s1"


def test_bot_from_the_socket_url_wins() -> None:
    assert ExotelProtocol().parse_start(start(), {"bot": "other"}).request.bot_id == "other"


def test_16k_is_accepted() -> None:
    fmt = {"encoding": "base64", "sample_rate": "16000"}
    assert ExotelProtocol().parse_start(start(media_format=fmt), {}).request.sample_rate == 16000


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"media_format": {"encoding": "base64", "sample_rate": "44100"}}, 1003, "44100"),
        ({"media_format": {"encoding": "mulaw", "sample_rate": "8000"}}, 1003, "encoding 'mulaw'"),
        ({"call_sid": ""}, 1008, "start.call_sid"),
    ],
)
def test_bad_starts_are_refused(overrides: dict[str, Any], code: int, reason: str) -> None:
    with pytest.raises(ProtocolViolation) as raised:
        ExotelProtocol().parse_start(start(**overrides), {})
    assert raised.value.code == code
    assert reason in raised.value.reason
