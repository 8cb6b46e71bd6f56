"""A local Deepgram: the two listen sockets Pipecat's Deepgram services speak, Whisper inside.

``/v1/listen`` (Nova): ``Authorization: Token <key>`` checked at the handshake (a wrong key is
refused with HTTP 401 and a ``dg-error`` header, as Deepgram does); binary linear16 audio in;
``Results`` out: interim ones while the caller speaks, a final one (``is_final``,
``speech_final``) when an utterance ends, and one ``from_finalize`` answer to each
``Finalize``; ``KeepAlive`` is accepted, ``CloseStream`` answered with ``Metadata`` and a close.

``/v2/listen`` (Flux): ``Connected`` on open, then ``TurnInfo`` events per caller turn:
``StartOfTurn``, ``Update`` while speaking, ``EagerEndOfTurn`` (only when the client set an
``eager_eot_threshold``) and ``EndOfTurn`` with the turn's transcript; ``Configure`` is acked.

Utterances are found by energy (:class:`~tests.fakes.vendors.speech.Utterances`) and
transcribed by the bundled Whisper, so the fake answers what the caller really said. Every
connection is recorded (:class:`Session`: path, query, the key it presented, audio received,
control messages) for assertions. Knobs for failure drills: ``refuse_status``,
``drop_after_s``, ``drop_mid_utterance``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import numpy as np
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fakes.vendors.speech import Utterances, recognize

NOVA_PATH = "/v1/listen"
FLUX_PATH = "/v2/listen"
CONFIDENCE = 0.97


@dataclass
class Session:
    """One connection attempt, accepted or refused."""

    path: str
    params: dict[str, list[str]]
    key: str | None
    accepted: bool = False
    audio_bytes: int = 0
    controls: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None

    @property
    def transcripts(self) -> list[str]:
        """Final transcripts sent (Nova ``is_final`` results, Flux ``EndOfTurn``)."""
        out = []
        for message in self.sent:
            if message.get("type") == "Results" and message.get("is_final"):
                text = message["channel"]["alternatives"][0]["transcript"]
                if text:
                    out.append(text)
            elif message.get("event") == "EndOfTurn":
                out.append(message["transcript"])
        return out


Send = Callable[[dict[str, Any]], Awaitable[None]]


class FakeDeepgram:
    """The app (``.app``) and what it saw (``.sessions``); serve it with ``serving(fake.app)``."""

    def __init__(
        self,
        key: str,
        *,
        end_silence_s: float = 0.4,
        interim_every_s: float = 1.0,
        max_interims: int = 1,
        flux_eot_silence_s: float = 0.5,
    ) -> None:
        self.key = key
        self.end_silence_s = end_silence_s
        # Each interim decodes the utterance so far again: a few keep the CPU for the calls.
        self.interim_every_s = interim_every_s
        self.max_interims = max_interims
        self.flux_eot_silence_s = flux_eot_silence_s
        # Failure knobs (change them between calls):
        self.refuse_status: int | None = None  # answer every handshake with this HTTP status
        self.drop_after_s: float | None = None  # close each socket (1011) this long after open
        self.drop_mid_utterance = False  # close each socket (1011) 0.5 s into an utterance
        self.sessions: list[Session] = []
        self._drops: set[asyncio.Task[None]] = set()
        self.app = Starlette(
            routes=[WebSocketRoute(NOVA_PATH, self._nova), WebSocketRoute(FLUX_PATH, self._flux)]
        )

    def accepted(self, path: str) -> list[Session]:
        return [s for s in self.sessions if s.path == path and s.accepted]

    # -- handshake ---------------------------------------------------------------------------

    async def _open(self, ws: WebSocket, path: str) -> Session | None:
        """Check the handshake as Deepgram does; the session, or None when refused."""
        auth = ws.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        session = Session(path, parse_qs(ws.url.query), token if scheme == "Token" else None)
        self.sessions.append(session)
        if self.refuse_status is not None:
            return await self._deny(ws, session, self.refuse_status, "UNAVAILABLE", "Refused.")
        if session.key != self.key:
            return await self._deny(ws, session, 401, "INVALID_AUTH", "Invalid credentials.")
        problem = self._bad_params(session)
        if problem:
            return await self._deny(ws, session, 400, "Bad Request", problem)
        await ws.accept(headers=[(b"dg-request-id", session.request_id.encode())])
        session.accepted = True
        return session

    @staticmethod
    def _bad_params(session: Session) -> str | None:
        if not session.param("model"):
            return "model is required"
        if session.param("encoding") != "linear16":
            return "this fake takes encoding=linear16 only"
        rate = session.param("sample_rate") or ""
        if not rate.isdigit() or not 8000 <= int(rate) <= 48000:
            return "sample_rate is required with encoding=linear16"
        return None

    @staticmethod
    async def _deny(ws: WebSocket, session: Session, status: int, code: str, why: str) -> None:
        body = {"err_code": code, "err_msg": why, "request_id": session.request_id}
        headers = {"dg-error": why, "dg-request-id": session.request_id}
        await ws.send_denial_response(JSONResponse(body, status_code=status, headers=headers))
        return None

    # -- shared receive loop -----------------------------------------------------------------

    async def _serve(
        self,
        ws: WebSocket,
        session: Session,
        on_audio: Callable[[bytes], None],
        on_control: Callable[[dict[str, Any]], bool],
        jobs: asyncio.Queue[Callable[[], Awaitable[None]] | None],
    ) -> None:
        """Receive until the client leaves (or ``on_control`` says stop); one worker runs the
        queued jobs (recognize, then send) in order, so results keep the order of the audio."""

        async def work() -> None:
            while (job := await jobs.get()) is not None:
                await job()

        worker = asyncio.create_task(work())
        dropper = asyncio.create_task(self._drop_later(ws)) if self.drop_after_s else None
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes") is not None:
                    session.audio_bytes += len(message["bytes"])
                    on_audio(message["bytes"])
                elif message.get("text") is not None:
                    control = json.loads(message["text"])
                    session.controls.append(str(control.get("type")))
                    if not on_control(control):
                        break
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client or a drop closed the socket
        finally:
            await jobs.put(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker, timeout=10)
            if dropper:
                dropper.cancel()

    async def _drop_later(self, ws: WebSocket) -> None:
        assert self.drop_after_s is not None
        await asyncio.sleep(self.drop_after_s)
        await _close(ws, 1011, "fake: dropped")

    def _sender(self, ws: WebSocket, session: Session) -> Send:
        async def send(message: dict[str, Any]) -> None:
            session.sent.append(message)
            with contextlib.suppress(Exception):  # the socket may be gone (a drop, a hang-up)
                await ws.send_text(json.dumps(message))

        return send

    # -- Nova: /v1/listen --------------------------------------------------------------------

    async def _nova(self, ws: WebSocket) -> None:
        session = await self._open(ws, NOVA_PATH)
        if session is None:
            return
        rate = int(session.param("sample_rate") or 0)
        endpointing = session.param("endpointing")
        silence = int(endpointing) / 1000 if endpointing and endpointing.isdigit() else None
        state = _Stream(rate, max(silence or self.end_silence_s, 0.1))
        interim = session.param("interim_results") != "false"
        send = self._sender(ws, session)
        jobs: asyncio.Queue[Callable[[], Awaitable[None]] | None] = asyncio.Queue()

        def result(audio: np.ndarray, *, final: bool, speech_final: bool, finalize: bool) -> None:
            start, duration = state.window(audio)

            async def job() -> None:
                text = await recognize(audio, rate) if len(audio) else ""
                await send(_results(session, text, start, duration, final, speech_final, finalize))

            jobs.put_nowait(job)

        def on_audio(pcm: bytes) -> None:
            for ended in state.feed(pcm):
                result(ended, final=True, speech_final=True, finalize=False)
            if state.utterances.speaking and self._drop_now(state):
                self._drop(ws)
            elif (
                interim
                and jobs.empty()
                and state.interim_due(self.interim_every_s, self.max_interims)
            ):
                result(state.utterances.heard, final=False, speech_final=False, finalize=False)

        def on_control(control: dict[str, Any]) -> bool:
            kind = control.get("type")
            if kind == "Finalize":
                result(state.flush(), final=True, speech_final=False, finalize=True)
            elif kind == "CloseStream":

                async def close() -> None:
                    await send(_metadata(session, state.offset_s))
                    await _close(ws, 1000, "")

                jobs.put_nowait(close)
                return False
            return True  # KeepAlive, and anything else, is only recorded

        await self._serve(ws, session, on_audio, on_control, jobs)

    def _drop_now(self, state: _Stream) -> bool:
        """Whether to cut the socket now: once, half a second into an utterance."""
        if state.dropped or not self.drop_mid_utterance:
            return False
        state.dropped = len(state.utterances.heard) > state.rate // 2
        return state.dropped

    def _drop(self, ws: WebSocket) -> None:
        task = asyncio.create_task(_close(ws, 1011, "fake: dropped mid-utterance"))
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    # -- Flux: /v2/listen --------------------------------------------------------------------

    async def _flux(self, ws: WebSocket) -> None:
        session = await self._open(ws, FLUX_PATH)
        if session is None:
            return
        rate = int(session.param("sample_rate") or 0)
        timeout = session.param("eot_timeout_ms")
        silence = self.flux_eot_silence_s
        if timeout and timeout.isdigit():
            silence = min(silence, int(timeout) / 1000)
        state = _Stream(rate, silence)
        eager = session.param("eager_eot_threshold") is not None
        send = self._sender(ws, session)
        jobs: asyncio.Queue[Callable[[], Awaitable[None]] | None] = asyncio.Queue()
        turn = {"index": 0, "open": False}
        sequence = iter(range(1, 1 << 30))

        def event(*names: str, audio: np.ndarray | None = None) -> None:
            """Queue TurnInfo events for the current turn, with what ``audio`` says (if any)."""
            start, duration = state.window(audio if audio is not None else np.zeros(0, np.int16))
            index = turn["index"]

            async def job() -> None:
                text = await recognize(audio, rate) if audio is not None else ""
                for name in names:
                    message = _turn_info(
                        session, next(sequence), name, index, text, start, duration
                    )
                    await send(message)

            jobs.put_nowait(job)

        def on_audio(pcm: bytes) -> None:
            for ended in state.feed(pcm):
                if not turn["open"]:
                    event("StartOfTurn")
                event(*(["EagerEndOfTurn"] if eager else []), "EndOfTurn", audio=ended)
                turn["index"] += 1
                turn["open"] = False
            if not state.utterances.speaking:
                return
            if self._drop_now(state):
                self._drop(ws)
            elif not turn["open"]:
                turn["open"] = True
                event("StartOfTurn")
            elif jobs.empty() and state.interim_due(self.interim_every_s, self.max_interims):
                event("Update", audio=state.utterances.heard)

        def on_control(control: dict[str, Any]) -> bool:
            kind = control.get("type")
            if kind == "Configure":

                async def ack() -> None:
                    await send({"type": "ConfigureSuccess", "request_id": session.request_id})

                jobs.put_nowait(ack)
            elif kind == "CloseStream":
                jobs.put_nowait(lambda: _close(ws, 1000, ""))
                return False
            return True

        await send(
            {"type": "Connected", "request_id": session.request_id, "sequence_id": next(sequence)}
        )
        await self._serve(ws, session, on_audio, on_control, jobs)


class _Stream:
    """The audio of one connection: utterances found so far, and where in the stream we are."""

    def __init__(self, rate: int, end_silence_s: float) -> None:
        self.rate = rate
        self.end_silence_s = end_silence_s
        self.utterances = Utterances(rate, end_silence_s=end_silence_s)
        self.samples = 0
        self.dropped = False
        self._interims = 0

    @property
    def offset_s(self) -> float:
        return self.samples / self.rate

    def feed(self, pcm: bytes) -> list[np.ndarray]:
        self.samples += len(pcm) // 2
        ended = self.utterances.feed(pcm)
        if ended or not self.utterances.speaking:
            self._interims = 0
        return ended

    def flush(self) -> np.ndarray:
        """The utterance under way, ended now (Deepgram's ``Finalize``)."""
        heard = self.utterances.heard
        self.utterances = Utterances(self.rate, end_silence_s=self.end_silence_s)
        self._interims = 0
        return heard

    def interim_due(self, every_s: float, most: int) -> bool:
        """Whether the utterance under way has grown another ``every_s`` since the last interim
        (at most ``most`` interims per utterance)."""
        heard = len(self.utterances.heard)
        due = self._interims < most and heard >= (self._interims + 1) * every_s * self.rate
        self._interims += due
        return due

    def window(self, audio: np.ndarray) -> tuple[float, float]:
        duration = len(audio) / self.rate
        return round(max(self.offset_s - duration, 0.0), 3), round(duration, 3)


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code, reason)


def _words(text: str, start: float, duration: float) -> list[dict[str, Any]]:
    words = text.split()
    step = duration / max(len(words), 1)
    return [
        {
            "word": word.strip(".,?!").lower(),
            "punctuated_word": word,
            "start": round(start + i * step, 3),
            "end": round(start + (i + 1) * step, 3),
            "confidence": CONFIDENCE,
        }
        for i, word in enumerate(words)
    ]


def _results(
    session: Session,
    text: str,
    start: float,
    duration: float,
    final: bool,
    speech_final: bool,
    finalize: bool,
) -> dict[str, Any]:
    model = session.param("model") or ""
    message: dict[str, Any] = {
        "type": "Results",
        "channel_index": [0, 1],
        "duration": duration,
        "start": start,
        "is_final": final,
        "speech_final": speech_final,
        "channel": {
            "alternatives": [
                {
                    "transcript": text,
                    "confidence": CONFIDENCE if text else 0.0,
                    "words": _words(text, start, duration),
                }
            ]
        },
        "metadata": {
            "request_id": session.request_id,
            "model_info": {"name": model, "version": "fake", "arch": "fake"},
            "model_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, model)),
        },
    }
    if finalize:
        message["from_finalize"] = True
    return message


def _metadata(session: Session, duration: float) -> dict[str, Any]:
    return {
        "type": "Metadata",
        "transaction_key": "deprecated",
        "request_id": session.request_id,
        "sha256": "0" * 64,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "duration": round(duration, 3),
        "channels": 1,
    }


def _turn_info(
    session: Session,
    sequence: int,
    name: str,
    index: int,
    text: str,
    start: float,
    duration: float,
) -> dict[str, Any]:
    return {
        "type": "TurnInfo",
        "request_id": session.request_id,
        "sequence_id": sequence,
        "event": name,
        "turn_index": index,
        "audio_window_start": start,
        "audio_window_end": round(start + duration, 3),
        "transcript": text,
        "words": [{"word": w["word"], "confidence": CONFIDENCE} for w in _words(text, 0, 1)],
        "end_of_turn_confidence": 0.9 if name == "EndOfTurn" else 0.1,
    }
