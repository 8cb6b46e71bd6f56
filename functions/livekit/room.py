"""One bot in one LiveKit room: its transport, where it records the call's ending, hold audio."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from dataclasses import dataclass

import httpx
import numpy as np
from pipecat.frames.frames import OutputAudioRawFrame, TTSSpeakFrame
from pipecat.pipeline.worker import PipelineWorker
from pipecat.transports.livekit.transport import LiveKitParams, LiveKitTransport

from functions.call.pipeline import CallerEvents
from functions.carriers.guard import Ending
from functions.livekit.client import SAMPLE_RATE, LiveKit
from shared.audio import resample

# A participant joins and leaves a room; the caller is the first one the bot sees.
ROOM_EVENTS = CallerEvents(joined="on_first_participant_joined", left="on_participant_disconnected")
BOT_IDENTITY_PREFIX = "voxcore-bot-"
MUSIC_MAX_BYTES = 20 * 1024 * 1024
MUSIC_CHUNK_S = 0.2


@dataclass
class RoomGuard:
    """What a carrier socket's guard is to the session, for a room: the first ending wins."""

    ending: Ending | None = None

    def end(self, code: int, reason: str, by: str) -> None:
        if self.ending is None:
            self.ending = Ending(code, reason, by)


def room_transport(livekit: LiveKit, room: str, call_id: str) -> LiveKitTransport:
    identity = f"{BOT_IDENTITY_PREFIX}{call_id}"
    params = LiveKitParams(
        audio_in_enabled=True,
        audio_out_enabled=True,
        audio_in_sample_rate=SAMPLE_RATE,
        audio_out_sample_rate=SAMPLE_RATE,
    )
    token = livekit.token(room, identity, attributes={"voxcore.role": "bot"})
    return LiveKitTransport(livekit.url, token, room, params=params)


class LiveKitHoldRoom:
    """The hold worker's room: speech and music through the pipeline, agents by identity.

    An agent is a participant whose identity starts with ``agent_prefix`` (the Agent Desk
    mints it) or whose metadata is JSON with ``"role": "agent"``.
    """

    def __init__(self, transport: LiveKitTransport, worker: PipelineWorker, agent_prefix: str):
        self._transport = transport
        self._worker = worker
        self._prefix = agent_prefix
        self._joined = asyncio.Event()
        self.agent: str | None = None
        transport.event_handler("on_participant_connected")(self._on_participant)

    async def _on_participant(self, _transport: object, identity: str) -> None:
        if identity.startswith(self._prefix) or await self._says_agent(identity):
            self.agent = identity
            self._joined.set()

    async def _says_agent(self, identity: str) -> bool:
        info = await self._transport.get_participant_metadata(identity)
        try:
            metadata = json.loads(info.get("metadata") or "{}")
        except ValueError:
            return False
        return isinstance(metadata, dict) and metadata.get("role") == "agent"

    async def say(self, text: str) -> None:
        await self._worker.queue_frames([TTSSpeakFrame(text, append_to_context=False)])

    async def play(self, url: str) -> None:
        """Loop a 16-bit PCM WAV at the room's rate, paced in real time, until cancelled."""
        samples = await fetch_wav(url)
        step = int(SAMPLE_RATE * MUSIC_CHUNK_S)
        while len(samples):
            for start in range(0, len(samples), step):
                chunk = samples[start : start + step].tobytes()
                await self._worker.queue_frame(OutputAudioRawFrame(chunk, SAMPLE_RATE, 1))
                await asyncio.sleep(MUSIC_CHUNK_S)

    async def wait_for_agent(self) -> str:
        await self._joined.wait()
        return self.agent or ""


async def fetch_wav(url: str) -> np.ndarray:
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        response = await client.get(url)
    response.raise_for_status()
    if len(response.content) > MUSIC_MAX_BYTES:
        raise ValueError("hold music over 20 MiB")
    with wave.open(io.BytesIO(response.content), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError("hold music must be 16-bit PCM WAV")
        channels, rate = wav.getnchannels(), wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return resample(data, rate, SAMPLE_RATE)
