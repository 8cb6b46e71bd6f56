"""Carrier-side messages: shapes, parsing, and interop with Pipecat's own serializers."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from pipecat.audio.utils import create_stream_resampler, pcm_to_ulaw, ulaw_to_pcm
from pipecat.frames.frames import InputAudioRawFrame, InterruptionFrame, OutputAudioRawFrame
from pipecat.runner.utils import _detect_transport_type_from_message
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.serializers.exotel import ExotelFrameSerializer
from pipecat.serializers.twilio import TwilioFrameSerializer

from functions.serializers.dialler import DiallerFrameSerializer, DiallerStart
from lab.caller.protocols import (
    CallIdentity,
    CarrierClient,
    DiallerClient,
    ExotelClient,
    TwilioClient,
    client_for,
    new_call_id,
    ulaw_decode,
    ulaw_encode,
)

CALL = CallIdentity("call-7", bot="support_desk", params={"token": "t"})


def speechlike(n: int = 160) -> np.ndarray:
    return (np.random.default_rng(1).normal(0, 3000, n)).clip(-32768, 32767).astype(np.int16)


async def test_ulaw_matches_pipecat_bit_for_bit() -> None:
    every = np.arange(-32768, 32768, dtype=np.int16)
    resampler = create_stream_resampler()
    assert ulaw_encode(every) == await pcm_to_ulaw(every.tobytes(), 8000, 8000, resampler)
    codes = bytes(range(256))
    expected = np.frombuffer(await ulaw_to_pcm(codes, 8000, 8000, resampler), dtype=np.int16)
    assert np.array_equal(ulaw_decode(codes), expected)


def test_exotel_messages() -> None:
    client = ExotelClient(CALL)
    connected, start = (json.loads(m) for m in client.opening())
    assert connected == {"event": "connected"}
    assert _detect_transport_type_from_message(start) == "exotel"
    body = start["start"]
    assert body["call_sid"] == "call-7" and body["stream_sid"] == start["stream_sid"]
    assert body["from"] == CALL.from_ and body["to"] == CALL.to
    assert body["custom_parameters"] == {
        "bot": "support_desk",
        "from": CALL.from_,
        "to": CALL.to,
        "token": "t",
    }
    assert body["media_format"] == {
        "encoding": "base64",
        "sample_rate": "8000",
        "bit_rate": "128kbps",
    }
    media = json.loads(client.media(speechlike()))
    assert media["media"]["chunk"] == 1 and media["media"]["timestamp"] == "0"
    assert len(base64.b64decode(media["media"]["payload"])) == 320
    assert media["sequence_number"] == start["sequence_number"] + 1
    stop = json.loads(client.hangup("callended"))
    assert stop["event"] == "stop" and stop["stop"]["call_sid"] == "call-7"
    assert json.loads(client.mark_played("m1"))["mark"] == {"name": "m1"}


def test_twilio_messages() -> None:
    client = TwilioClient(CALL)
    connected, start = (json.loads(m) for m in client.opening())
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert _detect_transport_type_from_message(start) == "twilio"
    body = start["start"]
    assert body["callSid"] == "call-7" and body["streamSid"] == start["streamSid"]
    assert body["customParameters"]["bot"] == "support_desk" and body["tracks"] == ["inbound"]
    media = json.loads(client.media(speechlike()))
    assert media["sequenceNumber"] == "2" and media["media"]["track"] == "inbound"
    assert len(base64.b64decode(media["media"]["payload"])) == 160  # one mu-law byte a sample
    stop = json.loads(client.hangup("bye"))
    assert stop["event"] == "stop" and stop["stop"]["callSid"] == "call-7"
    assert json.loads(client.mark_played("m1"))["mark"] == {"name": "m1"}


def test_dialler_messages_follow_the_documented_protocol() -> None:
    client = DiallerClient(CALL)
    (start,) = client.opening()
    parsed = DiallerStart.from_message(json.loads(start))
    assert (parsed.call_id, parsed.bot, parsed.media_format.sample_rate) == (
        "call-7",
        "support_desk",
        8000,
    )
    media = json.loads(client.media(speechlike()))
    assert set(media) == {"event", "seq", "payload"} and media["seq"] == 1
    assert json.loads(client.hangup("bye")) == {"event": "hangup", "reason": "bye"}
    assert client.mark_played("m1") is None
    no_bot = json.loads(DiallerClient(CallIdentity("c")).opening()[0])
    assert "bot" not in no_bot


def test_server_messages_parse() -> None:
    client = DiallerClient(CALL)
    assert client.parse('{"event": "clear"}').kind == "clear"
    hangup = client.parse('{"event": "hangup", "reason": "done"}')
    assert (hangup.kind, hangup.reason) == ("hangup", "done")
    error = client.parse('{"event": "error", "code": "capacity", "reason": "full"}')
    assert (error.kind, error.reason) == ("error", "capacity: full")
    mark = TwilioClient(CALL).parse('{"event": "mark", "streamSid": "MZ", "mark": {"name": "x"}}')
    assert (mark.kind, mark.name) == ("mark", "x")
    for junk in (b"\x00", "nope", "[]", '{"event": "media", "payload": "@@"}', '{"event": "x"}'):
        assert client.parse(junk).kind == "other"


def pipecat_serializer(client: CarrierClient) -> FrameSerializer:
    if isinstance(client, ExotelClient):
        return ExotelFrameSerializer(client.stream_sid, client.call.call_id)
    if isinstance(client, TwilioClient):
        params = TwilioFrameSerializer.InputParams(auto_hang_up=False)
        return TwilioFrameSerializer(client.stream_sid, client.call.call_id, params=params)
    return DiallerFrameSerializer(client.call.call_id)


@pytest.mark.parametrize("carrier", ["exotel", "twilio", "dialler"])
async def test_interop_with_the_server_side_serializers(carrier: str) -> None:
    client = client_for(carrier, CALL)
    server: Any = pipecat_serializer(client)
    await server.setup(SimpleNamespace(audio_in_sample_rate=8000))
    sent = speechlike()
    frame = await server.deserialize(client.media(sent))
    assert isinstance(frame, InputAudioRawFrame) and frame.sample_rate == 8000
    received = np.frombuffer(frame.audio, dtype=np.int16)
    tolerance = 0.05 if carrier == "twilio" else 0.0  # mu-law is lossy
    assert np.max(np.abs(received.astype(int) - sent)) <= tolerance * 32768
    out = await server.serialize(OutputAudioRawFrame(sent.tobytes(), 8000, 1))
    event = client.parse(out)
    assert event.kind == "media" and event.audio is not None and len(event.audio) == len(sent)
    assert client.parse(await server.serialize(InterruptionFrame())).kind == "clear"


def test_unknown_carrier_and_call_ids() -> None:
    with pytest.raises(ValueError, match="unknown carrier 'sip'"):
        client_for("sip", CALL)
    assert new_call_id("twilio").startswith("CA") and len(new_call_id("twilio")) == 34
    assert new_call_id("dialler").startswith("lab-")
