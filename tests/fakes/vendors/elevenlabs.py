"""A fake ElevenLabs: the multi-context TTS WebSocket Pipecat's ``ElevenLabsTTSService`` uses.

``GET /v1/text-to-speech/{voice_id}/multi-stream-input?model_id=..&output_format=pcm_8000..``
speaks the vendor's protocol as its AsyncAPI spec describes it, and answers with real Piper
speech (``speech.synthesize``) so a caller really hears the bot:

- auth: the ``xi-api-key`` header, checked at the handshake (a wrong one: HTTP 401
  ``invalid_api_key``); without the header, ``xi_api_key`` in the first message (wrong or
  missing: close 1008).
- client: ``{"text": " ", "context_id", "voice_settings"}`` opens a context; text appends to it
  (with ``auto_mode=true`` each message is synthesized as it comes, else on ``flush``);
  ``{"text": ""}`` keeps alive; ``flush``; ``close_context`` (after a flush the context finishes
  first, otherwise it stops at once: an interruption); ``close_socket``.
- server: ``{"audio": base64 PCM16, "alignment", "normalizedAlignment", "contextId"}`` chunks,
  then ``{"isFinal": true, "contextId"}``.
- the vendor's rules that Pipecat must keep: at most 5 open contexts, ``voice_settings`` only in
  a context's first message (or unchanged), a message within ``inactivity_timeout`` (20 s);
  each broken one closes the socket with 1008 and ElevenLabs' reason.

Knobs for failure drills: ``silent`` (accept text, send nothing back), ``refuse_status``
(deny every handshake with that HTTP status), ``drop_after_audio`` (close 1011 after that many
audio messages on a socket). Everything received is recorded in ``connections``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from tests.fakes.vendors.speech import synthesize

MAX_CONTEXTS = 5
CHUNK_S = 0.25  # audio per message, about what the vendor sends
VOICE_SETTINGS_RULE = (
    "voice_settings field must be provided in the first message and then either be not "
    "provided or not change."
)


class Closed(Exception):
    """The fake closed the socket (a broken rule or a drill); the session ends."""


@dataclass
class Connection:
    """One socket as the fake saw it (the key itself is not kept, only whether it matched)."""

    voice_id: str
    query: dict[str, str]
    messages: list[dict[str, Any]] = field(default_factory=list)
    synthesized: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # contexts closed after a flush
    interrupted: list[str] = field(default_factory=list)  # contexts closed before a flush
    audio_messages: int = 0
    errors: list[str] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""


@dataclass
class _Context:
    id: str
    voice_settings: Any
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    buffer: str = ""
    flushed: bool = False
    task: asyncio.Task[None] | None = None


def _alignment(text: str, seconds: float) -> dict[str, list[Any]]:
    """Characters spread evenly over a chunk's audio, times relative to the chunk (as sent)."""
    step = seconds * 1000 / max(len(text), 1)
    return {
        "chars": list(text),
        "charStartTimesMs": [round(i * step) for i in range(len(text))],
        "charDurationsMs": [max(round(step), 1)] * len(text),
    }


def chunks(text: str, pcm: bytes, rate: int) -> list[tuple[str, bytes]]:
    """``pcm`` cut into ~``CHUNK_S`` pieces, each with the slice of ``text`` it speaks."""
    samples = len(pcm) // 2
    count = max(1, min(len(text), math.ceil(samples / rate / CHUNK_S)))
    cuts = [round(k * len(text) / count) for k in range(count + 1)]
    out = []
    for start, end in pairwise(cuts):
        first, last = (round(c / len(text) * samples) * 2 for c in (start, end))
        out.append((text[start:end], pcm[first:last]))
    return out


@dataclass
class FakeElevenLabs:
    """The fake vendor for one test module; ``app()`` is served with ``tests.fakes.server``."""

    api_key: str
    silent: bool = False
    refuse_status: int | None = None
    drop_after_audio: int | None = None
    connections: list[Connection] = field(default_factory=list)
    denied: list[int] = field(default_factory=list)  # HTTP status of each refused handshake

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.websocket("/v1/text-to-speech/{voice_id}/multi-stream-input")
        async def multi_stream_input(websocket: WebSocket, voice_id: str) -> None:
            await self._serve(websocket, voice_id)

        return app

    def texts(self) -> list[str]:
        """Every piece of text synthesized, over all connections, in order."""
        return [text for c in self.connections for text in c.synthesized]

    def _key_ok(self, key: str | None) -> bool:
        return key is not None and hmac.compare_digest(key.encode(), self.api_key.encode())

    async def _serve(self, websocket: WebSocket, voice_id: str) -> None:
        if self.refuse_status is not None:
            body = {"detail": {"status": "refused", "message": "Service unavailable"}}
            self.denied.append(self.refuse_status)
            await websocket.send_denial_response(JSONResponse(body, self.refuse_status))
            return
        header = websocket.headers.get("xi-api-key")
        if header is not None and not self._key_ok(header):
            body = {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}
            self.denied.append(401)
            await websocket.send_denial_response(JSONResponse(body, 401))
            return
        await websocket.accept()
        connection = Connection(voice_id, dict(websocket.query_params))
        self.connections.append(connection)
        session = _Session(self, websocket, connection, authorized=header is not None)
        try:
            await session.run()
        except Closed:
            pass
        except WebSocketDisconnect as gone:
            connection.close_code = connection.close_code or gone.code
        finally:
            await session.cancel_all()


class _Session:
    """One socket: reads client messages, runs one synthesis task per context."""

    def __init__(
        self, fake: FakeElevenLabs, ws: WebSocket, conn: Connection, authorized: bool
    ) -> None:
        self.fake, self.ws, self.conn, self.authorized = fake, ws, conn, authorized
        self.contexts: dict[str, _Context] = {}
        self.finishing: set[asyncio.Task[None]] = set()  # closed after a flush, still speaking
        self.lock = asyncio.Lock()
        output = conn.query.get("output_format", "mp3_44100_128")
        self.rate = int(output.removeprefix("pcm_")) if output.startswith("pcm_") else 0
        self.auto_mode = conn.query.get("auto_mode") == "true"
        self.inactivity_s = float(conn.query.get("inactivity_timeout", 20))

    async def close(self, code: int, reason: str) -> None:
        async with self.lock:
            if self.conn.close_code is None:
                self.conn.close_code, self.conn.close_reason = code, reason
                with contextlib.suppress(Exception):
                    await self.ws.close(code, reason)
        raise Closed(reason)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            if self.conn.close_code is None:
                await self.ws.send_text(json.dumps(message))

    async def run(self) -> None:
        if not self.rate:
            await self.close(1008, "This fake speaks pcm_* output formats only")
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.receive_text(), self.inactivity_s)
            except TimeoutError:
                timeout = int(self.inactivity_s)
                await self.close(
                    1008,
                    f"Have not received a new text input within the timeout of {timeout} seconds.",
                )
            message = json.loads(raw)
            self.conn.messages.append({k: v for k, v in message.items() if k != "xi_api_key"})
            if not self.authorized:
                if not self.fake._key_ok(message.get("xi_api_key")):
                    await self.close(1008, "Invalid API key")
                self.authorized = True
            if message.get("close_socket"):
                await self.close_socket()
                return
            await self.handle(message)

    async def handle(self, message: dict[str, Any]) -> None:
        context_id = message.get("context_id")
        text = message.get("text")
        if context_id is None:
            return  # a keepalive for the socket ({"text": ""})
        context = self.contexts.get(context_id)
        if context is None:
            if message.get("close_context"):
                return
            if len(self.contexts) >= MAX_CONTEXTS:
                # ElevenLabs' reason goes on "Please close an existing context before opening
                # a new one.", which a close frame (123 bytes at most) cannot carry here.
                await self.close(
                    1008,
                    f"Maximum simultaneous contexts per WebSocket connection exceeded "
                    f"({MAX_CONTEXTS}).",
                )
            context = _Context(context_id, message.get("voice_settings"))
            context.task = asyncio.create_task(self.speak(context))
            self.contexts[context_id] = context
        elif "voice_settings" in message and message["voice_settings"] != context.voice_settings:
            await self.close(1008, VOICE_SETTINGS_RULE)
        if text and text.strip():
            context.buffer += text
            if self.auto_mode:
                self.release(context)
        if message.get("flush"):
            context.flushed = True
            self.release(context)
        if message.get("close_context"):
            await self.close_context(context)

    def release(self, context: _Context) -> None:
        """Hand the buffered text of a context to its synthesis task."""
        if context.buffer.strip():
            context.queue.put_nowait(context.buffer)
        context.buffer = ""

    async def close_context(self, context: _Context) -> None:
        del self.contexts[context.id]
        if context.flushed:
            self.conn.finished.append(context.id)
            context.queue.put_nowait(None)  # finish what was flushed, then isFinal
            if context.task:
                self.finishing.add(context.task)
                context.task.add_done_callback(self.finishing.discard)
            return
        self.conn.interrupted.append(context.id)
        if context.task:
            context.task.cancel()
        if not self.fake.silent:
            await self.send({"isFinal": True, "contextId": context.id})

    async def speak(self, context: _Context) -> None:
        try:
            await self._speak(context)
        except (Closed, WebSocketDisconnect):
            pass
        except Exception as error:  # kept for the test to see, not lost in a task
            self.conn.errors.append(repr(error))

    async def _speak(self, context: _Context) -> None:
        while (text := await context.queue.get()) is not None:
            self.conn.synthesized.append(text)
            if self.fake.silent:
                continue
            pcm = await synthesize(text.strip(), self.rate)
            for piece, audio in chunks(text, pcm, self.rate):
                seconds = len(audio) / 2 / self.rate
                alignment = _alignment(piece, seconds)
                await self.send(
                    {
                        "audio": base64.b64encode(audio).decode(),
                        "alignment": alignment,
                        "normalizedAlignment": alignment,
                        "contextId": context.id,
                    }
                )
                self.conn.audio_messages += 1
                drop = self.fake.drop_after_audio
                if drop is not None and self.conn.audio_messages >= drop:
                    await self.close(1011, "Internal server error (drill)")
        if not self.fake.silent:
            await self.send({"isFinal": True, "contextId": context.id})

    async def close_socket(self) -> None:
        """Finish every flushed context, drop the others, then close normally."""
        for context in list(self.contexts.values()):
            if context.flushed:
                context.queue.put_nowait(None)
            elif context.task:
                context.task.cancel()
        tasks = [c.task for c in self.contexts.values() if c.task] + list(self.finishing)
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        self.contexts.clear()
        with contextlib.suppress(Closed):
            await self.close(1000, "")

    async def cancel_all(self) -> None:
        for context in self.contexts.values():
            if context.task:
                context.task.cancel()
        for task in self.finishing:
            task.cancel()
