"""The simulated caller against a tiny fake bot server speaking each carrier's protocol.

The fake bot greets, then answers each caller turn a fixed delay after the caller's speech
ends, sending its audio all at once (faster than real time, as a server may). When the caller
talks over it, it sends ``clear`` after a fixed delay. So the caller's measurements have known
right answers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve

from lab.caller import CallFailed, CallOptions, place_call
from lab.caller.cli import main
from lab.caller.protocols import pcm_b64, ulaw_decode, ulaw_encode
from lab.caller.report import FRAME, RATE, audible
from shared.audio import read_wav, write_wav

REPLY_DELAY_S = 0.3
CLEAR_DELAY_S = 0.1
FAST = CallOptions(reply_silence_s=0.35, answer_timeout_s=3.0, timeout_s=15.0)


def tone(seconds: float, freq: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@dataclass
class FakeBot:
    """Answers every caller utterance with ``reply``; ``hangup_after`` replies, hangs up."""

    carrier: str
    greeting: np.ndarray = field(default_factory=lambda: tone(0.3))
    reply: Callable[[int], np.ndarray] = lambda _: tone(0.3, 660.0)
    hangup_after: int | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    speaking_until: float = 0.0

    def media(self, pcm: np.ndarray) -> str:
        if self.carrier == "twilio":
            payload = base64.b64encode(ulaw_encode(pcm)).decode()
            return json.dumps({"event": "media", "streamSid": "MZ1", "media": {"payload": payload}})
        if self.carrier == "exotel":
            return json.dumps(
                {"event": "media", "stream_sid": "s1", "media": {"payload": pcm_b64(pcm)}}
            )
        return json.dumps({"event": "media", "payload": pcm_b64(pcm)})

    def caller_audio(self, message: dict[str, Any]) -> np.ndarray:
        payload = base64.b64decode(message.get("media", message)["payload"])
        if self.carrier == "twilio":
            return ulaw_decode(payload)
        return np.frombuffer(payload, dtype="<i2")

    async def say(self, ws: ServerConnection, pcm: np.ndarray) -> None:
        for i in range(0, len(pcm), FRAME):
            await ws.send(self.media(pcm[i : i + FRAME]))
        if self.carrier == "twilio":
            await ws.send(
                json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "said"}})
            )
        self.speaking_until = asyncio.get_running_loop().time() + len(pcm) / RATE

    async def handler(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        in_speech, replies = False, 0
        tasks: set[asyncio.Task[None]] = set()

        async def later(delay: float, action: Callable[[], Any]) -> None:
            await asyncio.sleep(delay)
            await action()

        def schedule(delay: float, action: Callable[[], Any]) -> None:
            task = asyncio.create_task(later(delay, action))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        async def answer() -> None:
            nonlocal replies
            replies += 1
            await self.say(ws, self.reply(replies))
            if self.hangup_after == replies:
                await asyncio.sleep(0.05)
                await ws.send(json.dumps({"event": "hangup", "reason": "bot ended the call"}))
                await ws.close(1000, "bot ended the call")

        async for raw in ws:
            message = json.loads(raw)
            self.received.append(message)
            event = message["event"]
            if event == "start":
                await self.say(ws, self.greeting)
            elif event == "media":
                loud = audible(self.caller_audio(message))
                if loud and not in_speech and loop.time() < self.speaking_until:
                    self.speaking_until = loop.time()
                    schedule(CLEAR_DELAY_S, lambda: ws.send(json.dumps({"event": "clear"})))
                if not loud and in_speech:
                    schedule(REPLY_DELAY_S, answer)
                in_speech = loud
            elif event in ("stop", "hangup"):
                break


@contextlib.asynccontextmanager
async def running(bot: FakeBot) -> AsyncIterator[str]:
    async with serve(bot.handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws/{bot.carrier}"


@pytest.fixture
def turn_wavs(tmp_path: Path) -> list[Path]:
    """Two caller turns at 16 kHz (the caller resamples), speech framed by silence."""
    paths = []
    gap = np.zeros(800, np.int16)
    for i, freq in enumerate((300.0, 350.0)):
        audio = np.concatenate([gap, tone(0.3, freq, 16000), gap])
        paths.append(write_wav(tmp_path / f"turn{i + 1}.wav", audio, 16000))
    return paths


async def call_and_check(carrier: str, turn_wavs: list[Path], record: Path) -> None:
    bot = FakeBot(carrier)
    async with running(bot) as url:
        report = await place_call(
            carrier, url, turn_wavs, "support_desk", options=FAST, record=record, transcribe=False
        )
    assert [(t.spoken, t.completed) for t in report.turns] == [(True, True), (True, True)]
    for turn in report.turns:
        assert turn.v2v_ms is not None
        assert REPLY_DELAY_S * 1000 - 20 <= turn.v2v_ms <= REPLY_DELAY_S * 1000 + 80
        assert turn.barge_in_stop_ms is None and turn.overlap_ms == 0
        assert turn.heard is None
    assert report.closed_by == "caller" and report.close_code == 1000
    # The greeting was waited out before turn 1: it ends 0.3 s in, then 0.35 s of silence.
    first = report.turns[0]
    assert first.start_s is not None and 0.6 <= first.start_s <= 0.8
    # The caller's first messages are the carrier's opening, the last its hang-up.
    events = [m["event"] for m in bot.received]
    assert events[-1] in ("stop", "hangup") and "media" in events
    if carrier == "twilio":
        assert events[:2] == ["connected", "start"]
        start = bot.received[1]["start"]
        assert start["customParameters"]["bot"] == "support_desk"
        assert start["mediaFormat"] == {
            "encoding": "audio/x-mulaw",
            "sampleRate": 8000,
            "channels": 1,
        }
        assert "mark" in events  # the marks came back once the audio before them was played
    if carrier == "exotel":
        assert events[:2] == ["connected", "start"]
        assert bot.received[1]["start"]["custom_parameters"]["bot"] == "support_desk"
    if carrier == "dialler":
        assert bot.received[0]["media_format"] == {
            "encoding": "linear16",
            "sample_rate": 8000,
            "channels": 1,
        }
    recording = read_wav(record, mono=False)
    assert recording.sample_rate == RATE and recording.channels == 2
    left, right = recording.samples[:, 0], recording.samples[:, 1]
    # The bot spoke 0.3 + 2 x 0.3 s, the caller 2 x 0.3 s, each on its own channel.
    assert abs(np.sum(np.abs(right) > 1000) / RATE - 0.9) < 0.1
    assert abs(np.sum(np.abs(left) > 1000) / RATE - 0.6) < 0.1


async def test_v2v_is_the_fake_delay_on_every_carrier(
    turn_wavs: list[Path], tmp_path: Path
) -> None:
    await asyncio.gather(
        *(
            call_and_check(c, turn_wavs, tmp_path / f"{c}.wav")
            for c in ("exotel", "twilio", "dialler")
        )
    )


async def test_clear_drops_queued_bot_audio(turn_wavs: list[Path]) -> None:
    bot = FakeBot("twilio", greeting=tone(3.0))  # sent at once: unless cleared, 3 s are heard
    options = CallOptions(
        reply_silence_s=0.35, barge_in=True, barge_in_after_s=0.5, answer_timeout_s=3.0
    )
    async with running(bot) as url:
        report = await place_call("twilio", url, turn_wavs[:1], options=options, transcribe=False)
    (turn,) = report.turns
    assert turn.cleared and turn.barge_in_stop_ms is not None
    assert CLEAR_DELAY_S * 1000 - 20 <= turn.barge_in_stop_ms <= CLEAR_DELAY_S * 1000 + 80
    assert turn.overlap_ms == turn.barge_in_stop_ms
    # Heard: the greeting until 0.1 s after the caller's speech began (~0.65 s), the reply.
    bot_heard = np.sum(np.abs(report.audio[:, 1]) > 1000) / RATE
    assert 0.85 <= bot_heard <= 1.15
    assert "over the bot; it stopped after" in report.text()


async def test_server_hangup_is_recorded_and_queued_audio_still_plays(
    turn_wavs: list[Path],
) -> None:
    bot = FakeBot("dialler", reply=lambda _: tone(1.0, 660.0), hangup_after=1)
    async with running(bot) as url:
        report = await place_call("dialler", url, turn_wavs, options=FAST, transcribe=False)
    assert report.closed_by == "server"
    assert (report.close_code, report.close_reason) == (1000, "bot ended the call")
    assert [(t.spoken, t.completed) for t in report.turns] == [(True, True), (False, False)]
    # The whole 1 s reply was heard although the socket closed just after it was sent.
    assert abs(np.sum(np.abs(report.audio[:, 1]) > 1000) / RATE - 1.3) < 0.1
    text = report.text()
    assert "turn2.wav (not spoken: the call had ended)" in text
    assert "hung up by server: 1000 bot ended the call" in text


async def test_cannot_connect_is_a_clear_failure(
    turn_wavs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CallFailed, match=r"cannot connect to ws://127\.0\.0\.1:9/"):
        await place_call("exotel", "ws://127.0.0.1:9/ws/exotel", turn_wavs, transcribe=False)
    argv = ["--carrier", "dialler", "--url", "ws://127.0.0.1:9/", "--audio", str(turn_wavs[0])]
    assert await asyncio.to_thread(main, argv) == 1
    assert "cannot connect to ws://127.0.0.1:9/" in capsys.readouterr().err


def speak(text: str) -> np.ndarray:
    from shared.audio import resample
    from shared.providers.local_piper.voice import piper_voice

    voice = piper_voice()
    pcm = np.frombuffer(b"".join(c.audio_int16_bytes for c in voice.synthesize(text)), np.int16)
    return resample(pcm, voice.config.sample_rate, RATE)


async def test_cli_json_with_what_was_heard(
    turn_wavs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = speak("Your order shipped.")
    bot = FakeBot("exotel", greeting=speak("How can I help?"), reply=lambda _: reply)
    record = tmp_path / "out.wav"
    async with running(bot) as url:
        argv = ["--carrier", "exotel", "--url", url, "--bot", "support_desk", "--json"]
        argv += ["--audio", str(turn_wavs[0]), "--record", str(record), "--reply-silence", "0.5"]
        assert await asyncio.to_thread(main, argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"turns", "greeting", "recording", "close"} <= set(out)
    assert out["recording"] == str(record) and read_wav(record, mono=False).channels == 2
    # The code and reason are the server's close frame (the fake sends no reason).
    assert out["close"]["code"] == 1000 and out["close"]["by"] == "caller"
    (turn,) = out["turns"]
    assert {"caller_wav", "heard", "v2v_ms", "barge_in_stop_ms"} <= set(turn)
    assert turn["caller_wav"] == "turn1.wav"
    assert "help" in out["greeting"].lower()
    assert "order" in turn["heard"].lower()
    assert REPLY_DELAY_S * 1000 - 20 <= turn["v2v_ms"] <= REPLY_DELAY_S * 1000 + 80
