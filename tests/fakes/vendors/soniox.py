"""A fake Soniox real-time STT server: the parts of the WebSocket API Pipecat's service uses.

``/transcribe-websocket``. The key comes with the handshake (``Authorization: Bearer KEY``;
``api_key`` in the start message, Soniox's deprecated way, is accepted too). The client sends
one JSON start message (``model``, ``audio_format``, ``sample_rate``, ``num_channels``,
``language_hints``, ``enable_endpoint_detection``, ...), then binary audio and text controls:
``{"type": "keepalive"}``, ``{"type": "finalize"}``, and an empty message for end of audio.

Answers are JSON responses with ``tokens`` (``text``, ``is_final``, ``start_ms``, ``end_ms``,
``confidence``): ``finalize`` makes what was said so far final and ends it with a ``<fin>``
token; with endpoint detection on, an utterance that ends (by energy, :class:`Utterances`)
comes final with an ``<end>`` token; end of audio brings the last tokens and
``finished: true``, then a close. An error is ``{"error_code", "error_message"}`` then a close
(a wrong key: 401, as Soniox does). Recognition is real: Whisper hears each utterance.
Interim (non-final) tokens are not sent: Pipecat only shows them as interim transcripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect

from tests.fakes.vendors.speech import Utterances, recognize

FORMATS = {"pcm_s16le"}  # what the fake decodes (Soniox takes more; Pipecat sends this)


@dataclass
class SonioxSession:
    """What one connection sent: its start message (without any key), audio and controls."""

    authorized: bool = False
    start: dict[str, Any] = field(default_factory=dict)
    audio_bytes: int = 0
    finalizes: int = 0
    keepalives: int = 0
    ended: bool = False  # the client sent end of audio
    transcripts: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None

    @property
    def audio_seconds(self) -> float:
        rate = int(self.start.get("sample_rate") or 0)
        return self.audio_bytes / (2 * rate) if rate else 0.0


def tokens(text: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """Final tokens for ``text`` the way Soniox splits it: words, spaces leading."""
    words = text.split()
    step = (end_ms - start_ms) // max(len(words), 1)
    return [
        {
            "text": (" " if i else "") + word,
            "start_ms": start_ms + i * step,
            "end_ms": start_ms + (i + 1) * step,
            "confidence": 0.97,
            "is_final": True,
        }
        for i, word in enumerate(words)
    ]


@dataclass
class _Stream:
    """One session's audio: speech heard since the last final tokens, and the clock."""

    sample_rate: int
    utterances: Utterances
    pending: list[np.ndarray] = field(default_factory=list)  # ended, not yet finalized
    received_ms: int = 0
    final_ms: int = 0  # audio up to here has had its final tokens

    def feed(self, audio: bytes) -> list[np.ndarray]:
        self.received_ms += len(audio) * 1000 // (2 * self.sample_rate)
        return self.utterances.feed(audio)

    def take(self) -> np.ndarray:
        """Everything heard since the last final tokens; starts the next stretch afresh."""
        speech = [*self.pending, self.utterances.heard]
        self.pending = []
        self.utterances = Utterances(self.sample_rate)
        return np.concatenate(speech)


@dataclass
class FakeSoniox:
    """Serves ``app()``; accepts only ``key``. ``sessions`` records every connection."""

    key: str
    sessions: list[SonioxSession] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.add_api_websocket_route("/transcribe-websocket", self._session)
        return app

    async def _final(
        self,
        ws: WebSocket,
        record: SonioxSession,
        stream: _Stream,
        mark: str | None,
        speech: np.ndarray | None = None,
    ) -> None:
        """Final tokens for ``speech`` (by default all heard since the last), then ``mark``."""
        speech = stream.take() if speech is None else speech
        text = await recognize(speech, stream.sample_rate) if len(speech) else ""
        if text:
            record.transcripts.append(text)
        words = tokens(text, stream.final_ms, stream.received_ms)
        if mark:
            words.append({"text": mark, "confidence": 1.0, "is_final": True})
        stream.final_ms = stream.received_ms
        await ws.send_json(
            {
                "tokens": words,
                "final_audio_proc_ms": stream.final_ms,
                "total_audio_proc_ms": stream.received_ms,
            }
        )

    async def _refuse(self, ws: WebSocket, record: SonioxSession, code: int, message: str) -> None:
        record.error = {"error_code": code, "error_message": message}
        await ws.send_json(record.error)
        await ws.close()

    async def _session(self, ws: WebSocket) -> None:
        await ws.accept()
        record = SonioxSession()
        self.sessions.append(record)
        try:
            start = json.loads(await ws.receive_text())
            bearer = ws.headers.get("authorization", "").removeprefix("Bearer ").strip()
            record.authorized = (bearer or start.get("api_key")) == self.key
            record.start = {k: v for k, v in start.items() if k != "api_key"}
            if not record.authorized:
                await self._refuse(ws, record, 401, "Invalid API key.")
                return
            rate = start.get("sample_rate")
            if start.get("audio_format") not in FORMATS or not isinstance(rate, int) or rate <= 0:
                await self._refuse(ws, record, 400, "Invalid audio format or sample rate.")
                return
            if start.get("num_channels", 1) != 1:
                await self._refuse(ws, record, 400, "Only mono audio is supported here.")
                return
            await self._stream(ws, record, rate, bool(start.get("enable_endpoint_detection")))
        except (WebSocketDisconnect, RuntimeError):  # the client left (or closed) first
            return

    async def _stream(
        self, ws: WebSocket, record: SonioxSession, rate: int, endpoints: bool
    ) -> None:
        stream = _Stream(rate, Utterances(rate))
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if (audio := message.get("bytes")) is not None:
                record.audio_bytes += len(audio)
                ended = stream.feed(audio)
                if endpoints:  # each utterance final on its own, ended by <end>
                    for utterance in ended:
                        await self._final(ws, record, stream, "<end>", utterance)
                else:  # final when the client says so
                    stream.pending += ended
                continue
            text = message.get("text") or ""
            if not text:  # end of audio: the last words, then finished
                record.ended = True
                await self._final(ws, record, stream, None)
                await ws.send_json({"tokens": [], "finished": True})
                await ws.close()
                return
            control = json.loads(text)
            if control.get("type") == "keepalive":
                record.keepalives += 1
            elif control.get("type") == "finalize":
                record.finalizes += 1
                await self._final(ws, record, stream, "<fin>")
