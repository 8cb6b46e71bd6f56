"""Twilio stream starts and the per-call stream token."""

from __future__ import annotations

from typing import Any

import pytest

from functions.carriers.base import ProtocolViolation
from functions.carriers.twilio import TwilioProtocol, stream_token, stream_token_valid


def start(encoding: str = "audio/x-mulaw", **params: str) -> dict[str, Any]:
    return {
        "event": "start",
        "start": {
            "streamSid": "MZ1",
            "callSid": "CA1",
            "accountSid": "AC1",
            "mediaFormat": {"encoding": encoding, "sampleRate": 8000, "channels": 1},
            "customParameters": {"bot": "clinic-booking", "from": "+1555", "to": "+1666", **params},
        },
    }


def test_start_carries_the_twiml_parameters() -> None:
    request = TwilioProtocol().parse_start(start(), {}).request
    assert (request.call_id, request.bot_id, request.from_number) == (
        "CA1",
        "clinic-booking",
        "+1555",
    )


def test_linear_audio_is_refused() -> None:
    with pytest.raises(ProtocolViolation, match="audio/x-mulaw 8000 Hz"):
        TwilioProtocol().parse_start(start("audio/l16"), {})


def test_stream_token_is_required_when_a_secret_is_set() -> None:
    protocol = TwilioProtocol("s3cret")
    with pytest.raises(ProtocolViolation, match="stream token"):
        protocol.parse_start(start(), {})
    token = stream_token("s3cret", "CA1")
    assert protocol.parse_start(start(token=token), {}).request.call_id == "CA1"


def test_stream_tokens_expire_and_bind_to_the_call() -> None:
    token = stream_token("s3cret", "CA1", now=1000)
    assert stream_token_valid("s3cret", "CA1", token, now=1100)
    assert not stream_token_valid("s3cret", "CA1", token, now=1000 + 301)
    assert not stream_token_valid("s3cret", "CA2", token, now=1100)
    assert not stream_token_valid("other", "CA1", token, now=1100)
    assert not stream_token_valid("s3cret", "CA1", "garbage", now=1100)
