"""A fake Sarvam AI server: the two sockets Pipecat's Sarvam services use, on one base URL.

Both authenticate in the handshake with the ``api-subscription-key`` header; a wrong or missing
key is refused there with HTTP 401, which is what the ``sarvamai`` SDK reads as "invalid
credentials".

``/speech-to-text-realtime/ws`` (``SarvamRealtimeSTTService``): the session is set by query
parameters (``model``, ``language_code``, ``encoding=linear16``, ``sample_rate`` 8000|16000,
``endpointing`` vad|manual, ``mode``, ``stream_type``...); a value Sarvam rejects closes the
socket with 4000 and a reason. The server opens with ``session.begin``; the client sends
``{"event": "audio_input", "audio": <base64 PCM>}`` and, under manual endpointing,
``speech_start``/``speech_end`` (``speech_end`` brings the utterance's ``transcript.final``),
``flush``, ``ping`` (answered ``pong``), ``config.update`` (``config.updated``) and ``end``
(``session.end``, then a close). Under ``vad`` endpointing the fake finds utterances by energy
and sends ``vad.speech_start``, ``vad.speech_end`` and the final itself. Partial transcripts
are not sent. Recognition is real: Whisper hears the audio (``speech.py``).

``/text-to-speech/ws?model=...&send_completion_event=true`` (``SarvamTTSService``): a
``config`` message (``target_language_code``, ``speaker``, ``speech_sample_rate``,
``output_audio_codec``, ``min_buffer_size``...), then ``text`` messages: text is buffered until
``min_buffer_size`` characters or a ``flush``, then synthesized a sentence at a time (real
Piper speech at the asked rate), each sent as it is made in ``audio`` messages of base64
linear16, as Sarvam streams; after a flush, a ``final`` event.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, WebSocket
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocketDisconnect

from tests.fakes.vendors.speech import Utterances, recognize, synthesize

STT_MODELS = {"saaras:v3-realtime", "saaras:v4"}
STT_RATES = {8000, 16000}
TTS_MODELS = {"bulbul:v3", "bulbul:v3-beta", "bulbul:v4-flash"}
TTS_RATES = {8000, 16000, 22050, 24000}
CHUNK_S = 0.1  # audio message length

_LEFT = (WebSocketDisconnect, RuntimeError)  # the client left, or closed, first


@dataclass
class SttSession:
    """One recognition socket: its query (the session's settings), audio and events."""

    authorized: bool = False
    query: dict[str, str] = field(default_factory=dict)
    audio_bytes: int = 0
    events: list[str] = field(default_factory=list)  # client events other than audio
    transcripts: list[str] = field(default_factory=list)
    rejected: str | None = None

    @property
    def sample_rate(self) -> int:
        return int(self.query.get("sample_rate", 0))


@dataclass
class TtsSession:
    """One synthesis socket: its query, its config, the text it was given and what it sent."""

    authorized: bool = False
    query: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    flushes: int = 0
    audio_bytes: int = 0


def _authorized(ws: WebSocket, key: str) -> bool:
    return ws.headers.get("api-subscription-key") == key


async def _deny(ws: WebSocket) -> None:
    await ws.send_denial_response(PlainTextResponse("Invalid API subscription key", 401))


@dataclass
class FakeSarvam:
    """Serves ``app()``; accepts only ``key``. ``stt`` and ``tts`` record every connection."""

    key: str
    stt: list[SttSession] = field(default_factory=list)
    tts: list[TtsSession] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.add_api_websocket_route("/speech-to-text-realtime/ws", self._recognize)
        app.add_api_websocket_route("/text-to-speech/ws", self._synthesize)
        return app

    # --- speech to text -------------------------------------------------------------------
    async def _recognize(self, ws: WebSocket) -> None:
        record = SttSession(authorized=_authorized(ws, self.key), query=dict(ws.query_params))
        self.stt.append(record)
        if not record.authorized:
            await _deny(ws)
            return
        await ws.accept()
        problem = _stt_problem(record.query)
        if problem:
            record.rejected = problem
            await ws.close(4000, problem)
            return
        request_id = uuid.uuid4().hex
        await ws.send_json({"event": "session.begin", "request_id": request_id})
        try:
            await _SttStream(ws, record, request_id).run()
        except _LEFT:
            return

    # --- text to speech -------------------------------------------------------------------
    async def _synthesize(self, ws: WebSocket) -> None:
        record = TtsSession(authorized=_authorized(ws, self.key), query=dict(ws.query_params))
        self.tts.append(record)
        if not record.authorized:
            await _deny(ws)
            return
        await ws.accept()
        try:
            await _TtsStream(ws, record).run()
        except _LEFT:
            return


def _stt_problem(query: dict[str, str]) -> str | None:
    """Why Sarvam would reject these connection parameters, if it would."""
    if query.get("model") not in STT_MODELS:
        return f"Unsupported model {query.get('model')!r}"
    if query.get("encoding") != "linear16":
        return f"Unsupported encoding {query.get('encoding')!r}"
    if not query.get("sample_rate", "").isdigit() or int(query["sample_rate"]) not in STT_RATES:
        return f"Unsupported sample_rate {query.get('sample_rate')!r}"
    if query.get("endpointing", "vad") not in ("vad", "manual"):
        return f"Unsupported endpointing {query.get('endpointing')!r}"
    return None


@dataclass
class _SttStream:
    ws: WebSocket
    record: SttSession
    request_id: str
    pending: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rate = self.record.sample_rate
        self.manual = self.record.query.get("endpointing") == "manual"
        self.language = self.record.query.get("language_code", "auto")
        self.utterances = Utterances(self.rate)

    async def run(self) -> None:
        while True:
            message = json.loads(await self.ws.receive_text())
            event = message.get("event")
            if event == "audio_input":
                await self._audio(base64.b64decode(message["audio"]))
                continue
            self.record.events.append(str(event))
            if event in ("speech_end", "flush"):
                await self._final(self._take())
            elif event == "ping":
                await self.ws.send_json({"event": "pong"})
            elif event == "config.update":
                await self.ws.send_json({"event": "config.updated", "request_id": self.request_id})
            elif event == "end":
                if self.pending or self.utterances.speaking:
                    await self._final(self._take())
                await self.ws.send_json({"event": "session.end", "request_id": self.request_id})
                await self.ws.close()
                return

    async def _audio(self, audio: bytes) -> None:
        self.record.audio_bytes += len(audio)
        was_speaking = self.utterances.speaking
        ended = self.utterances.feed(audio)
        if self.manual:
            self.pending += ended
            return
        if not was_speaking and (ended or self.utterances.speaking):
            await self.ws.send_json({"event": "vad.speech_start"})
        for utterance in ended:
            await self.ws.send_json({"event": "vad.speech_end"})
            await self._final(utterance)

    def _take(self) -> np.ndarray:
        """What was said since the last final (the turn's pre-roll included)."""
        speech = np.concatenate([*self.pending, self.utterances.heard])
        self.pending, self.utterances = [], Utterances(self.rate)
        return speech

    async def _final(self, speech: np.ndarray) -> None:
        text = await recognize(speech, self.rate) if len(speech) else ""
        if text:
            self.record.transcripts.append(text)
        language = "en-IN" if self.language == "auto" else self.language
        await self.ws.send_json(
            {
                "event": "transcript.final",
                "text": text,
                "language": language,
                "request_id": self.request_id,
            }
        )


@dataclass
class _TtsStream:
    ws: WebSocket
    record: TtsSession
    buffer: str = ""
    configured: bool = False  # a config Sarvam would accept has arrived

    async def run(self) -> None:
        while True:
            message = json.loads(await self.ws.receive_text())
            kind, data = message.get("type"), message.get("data") or {}
            if kind == "config":
                self.record.config = data
                problem = _tts_problem(self.record.query, data)
                self.configured = problem is None
                if problem:
                    await self._error(problem)
            elif kind == "text":
                self.record.texts.append(data.get("text", ""))
                self.buffer += data.get("text", "")
                if len(self.buffer) >= int(self.record.config.get("min_buffer_size") or 50):
                    await self._speak()
            elif kind == "flush":
                self.record.flushes += 1
                await self._speak()
                if self.record.query.get("send_completion_event") == "true":
                    await self.ws.send_json({"type": "event", "data": {"event_type": "final"}})

    async def _error(self, message: str) -> None:
        await self.ws.send_json({"type": "error", "data": {"message": message, "code": 400}})

    async def _speak(self) -> None:
        text, self.buffer = self.buffer.strip(), ""
        if not text:
            return
        if not self.configured:
            await self._error("No valid config: send one before text")
            return
        rate = int(self.record.config["speech_sample_rate"])
        step = int(rate * CHUNK_S) * 2
        request_id = uuid.uuid4().hex
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            audio = await synthesize(sentence, rate)
            self.record.audio_bytes += len(audio)
            for start in range(0, len(audio), step):
                chunk = base64.b64encode(audio[start : start + step]).decode()
                data = {"audio": chunk, "content_type": "audio/pcm", "request_id": request_id}
                await self.ws.send_json({"type": "audio", "data": data})


def _tts_problem(query: dict[str, str], config: dict[str, Any]) -> str | None:
    """Why Sarvam would reject this model and configuration, if it would."""
    if query.get("model") not in TTS_MODELS:
        return f"Unsupported model {query.get('model')!r}"
    rate = str(config.get("speech_sample_rate", ""))
    if not rate.isdigit() or int(rate) not in TTS_RATES:
        return f"Unsupported speech_sample_rate {rate!r}"
    if config.get("output_audio_codec", "linear16") != "linear16":
        return "Only linear16 is served here"
    if not config.get("target_language_code") or not config.get("speaker"):
        return "target_language_code and speaker are required"
    return None
