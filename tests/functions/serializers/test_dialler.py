"""The dialler serializer: round trips, resampling, lenient input, strict start validation."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import (
    CancelFrame,
    CancelWorkerFrame,
    EndFrame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    TextFrame,
)
from pipecat.processors.frame_processor import FrameProcessorSetup

from functions.carriers.base import CLOSE_POLICY, CLOSE_UNSUPPORTED, ProtocolViolation
from functions.serializers.dialler import (
    DiallerFrameSerializer,
    DiallerStart,
)


def tone(rate: int, seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


async def serializer(dialler_rate: int = 8000, pipeline_rate: int = 16000) -> Any:
    params = DiallerFrameSerializer.InputParams(
        dialler_sample_rate=dialler_rate, resampler_clear_after_secs=None
    )
    s = DiallerFrameSerializer("call-1", params)
    # setup only reads the pipeline's input rate
    await s.setup(cast(FrameProcessorSetup, SimpleNamespace(audio_in_sample_rate=pipeline_rate)))
    return s


def media(samples: np.ndarray, seq: int = 1) -> str:
    payload = base64.b64encode(samples.astype("<i2").tobytes()).decode()
    return json.dumps({"event": "media", "seq": seq, "payload": payload})


async def test_media_in_is_resampled_to_the_pipeline_rate() -> None:
    s = await serializer(8000, 16000)
    audio = tone(8000, 1.0)
    received = b""
    for i in range(0, len(audio), 160):  # 20 ms frames, as a dialler sends them
        frame = await s.deserialize(media(audio[i : i + 160], seq=i // 160))
        if frame is not None:
            assert isinstance(frame, InputAudioRawFrame)
            assert frame.sample_rate == 16000 and frame.num_channels == 1
            received += frame.audio
    # The stream resampler holds back a few ms; almost all of the second comes through.
    assert 15000 <= len(received) // 2 <= 16000


async def test_media_in_at_the_pipeline_rate_is_passed_through() -> None:
    s = await serializer(16000, 16000)
    audio = tone(16000, 0.02)
    frame = await s.deserialize(media(audio))
    assert isinstance(frame, InputAudioRawFrame)
    assert np.array_equal(np.frombuffer(frame.audio, dtype=np.int16), audio)


async def test_bot_audio_out_is_resampled_to_the_dialler_rate() -> None:
    s = await serializer(8000, 16000)
    sent = b""
    audio = tone(24000, 1.0)
    for i in range(0, len(audio), 480):
        chunk = audio[i : i + 480].tobytes()
        out = await s.serialize(OutputAudioRawFrame(audio=chunk, sample_rate=24000, num_channels=1))
        if out is not None:
            message = json.loads(out)
            assert set(message) == {"event", "payload"} and message["event"] == "media"
            sent += base64.b64decode(message["payload"])
    assert 7500 <= len(sent) // 2 <= 8000


async def test_round_trip_keeps_the_tone() -> None:
    s = await serializer(8000, 8000)
    audio = tone(8000, 0.1)
    out = await s.serialize(
        OutputAudioRawFrame(audio=audio.tobytes(), sample_rate=8000, num_channels=1)
    )
    assert out is not None
    back = await s.deserialize(
        media(np.frombuffer(base64.b64decode(json.loads(out)["payload"]), dtype="<i2"))
    )
    assert isinstance(back, InputAudioRawFrame)
    assert np.array_equal(np.frombuffer(back.audio, dtype=np.int16), audio)


async def test_interruption_is_clear_and_end_frames_send_nothing() -> None:
    s = await serializer()
    assert json.loads(await s.serialize(InterruptionFrame())) == {"event": "clear"}
    assert await s.serialize(EndFrame()) is None
    assert await s.serialize(CancelFrame()) is None
    assert await s.serialize(TextFrame("hello")) is None


async def test_dtmf_and_hangup() -> None:
    s = await serializer()
    frame = await s.deserialize(json.dumps({"event": "dtmf", "digit": "5"}))
    assert isinstance(frame, InputDTMFFrame) and frame.button == KeypadEntry.FIVE
    pound = await s.deserialize(json.dumps({"event": "dtmf", "digit": "#"}))
    assert isinstance(pound, InputDTMFFrame) and pound.button == KeypadEntry.POUND
    assert await s.deserialize(json.dumps({"event": "dtmf", "digit": "A"})) is None
    hangup = await s.deserialize(json.dumps({"event": "hangup", "reason": "caller hung up"}))
    assert isinstance(hangup, CancelWorkerFrame)
    assert "caller hung up" in str(hangup.reason)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01",
        "not json",
        "[1, 2]",
        json.dumps({"event": "media"}),
        json.dumps({"event": "media", "payload": "@@not base64@@"}),
        json.dumps({"event": "media", "payload": base64.b64encode(b"\x00\x01\x02").decode()}),
        media(tone(8000, 1.5)),  # longer than the 1 s a media frame may carry
        json.dumps({"event": "dtmf", "digit": "55"}),
        json.dumps({"event": "dtmf"}),
        json.dumps({"event": "wat"}),
    ],
)
async def test_bad_messages_are_dropped(data: str | bytes) -> None:
    s = await serializer()
    assert await s.deserialize(data) is None


def start(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "event": "start",
        "call_id": "c-42",
        "from": "+15551230000",
        "to": "+15557650000",
        "bot": "support_desk",
        "media_format": {"encoding": "linear16", "sample_rate": 8000, "channels": 1},
    }
    message.update(overrides)
    return {k: v for k, v in message.items() if v is not None}


def test_start_is_validated() -> None:
    parsed = DiallerStart.from_message(start())
    assert parsed.call_id == "c-42" and parsed.from_ == "+15551230000"
    assert parsed.to == "+15557650000" and parsed.bot == "support_desk"
    assert parsed.media_format.sample_rate == 8000
    wide = DiallerStart.from_message(
        start(bot=None, media_format={"encoding": "linear16", "sample_rate": 16000, "channels": 1})
    )
    assert wide.bot is None and wide.media_format.sample_rate == 16000


@pytest.mark.parametrize(
    ("data", "close", "says"),
    [
        (
            start(media_format={"encoding": "mulaw", "sample_rate": 8000, "channels": 1}),
            CLOSE_UNSUPPORTED,
            "media_format.encoding",
        ),
        (
            start(media_format={"encoding": "linear16", "sample_rate": 44100, "channels": 1}),
            CLOSE_UNSUPPORTED,
            "44100",
        ),
        (
            start(media_format={"encoding": "linear16", "sample_rate": 8000, "channels": 2}),
            CLOSE_UNSUPPORTED,
            "channels",
        ),
        (start(call_id=None), CLOSE_POLICY, "call_id: Field required"),
        (start(call_id=""), CLOSE_POLICY, "call_id"),
        (start(media_format=None), CLOSE_POLICY, "media_format"),
        ({"event": "media", "payload": ""}, CLOSE_POLICY, "first message"),
        ([1, 2], CLOSE_POLICY, "first message"),
    ],
)
def test_bad_starts_say_why(data: object, close: int, says: str) -> None:
    with pytest.raises(ProtocolViolation) as caught:
        DiallerStart.from_message(data)
    assert caught.value.code == close
    assert says in caught.value.reason
