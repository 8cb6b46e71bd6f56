"""One simulated phone call: a carrier's socket, a caller who speaks WAV turns, a real-time ear.

The caller behaves like a phone line: every 20 ms it sends one frame (speech or silence) and
plays one frame of the bot's audio. Bot audio arrives faster than real time and waits in the
ear's queue; ``clear`` drops whatever is queued and not yet played, which is what makes a
barge-in audible. The caller waits for the greeting, speaks a turn, waits for the reply to
end (or, barging in, talks over it shortly after it starts), and hangs up after the last reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from lab.caller.protocols import CallIdentity, CarrierClient, client_for, new_call_id
from lab.caller.report import (
    FRAME,
    FRAME_MS,
    RATE,
    CallReport,
    Timeline,
    TurnSpan,
    audible,
    measure,
    stereo_audio,
    transcribe_heard,
)
from shared.audio import load_mono, write_wav

SILENCE = np.zeros(FRAME, dtype=np.int16)


class CallFailed(Exception):
    """The call could not be placed (no connection, bad audio)."""


@dataclass(frozen=True)
class CallOptions:
    reply_silence_s: float = 1.5  # a reply has ended after this long without bot audio
    answer_timeout_s: float = 10.0  # give up waiting for the bot to start speaking
    barge_in: bool = False  # talk over each bot utterance instead of waiting for its end
    barge_in_after_s: float = 0.6  # ... this long after it starts
    timeout_s: float = 120.0  # hang up after this long, whatever happens


def ticks(seconds: float) -> int:
    return max(1, round(seconds * 1000 / FRAME_MS))


class Ear:
    """The caller's earpiece: bot audio queued on arrival and played at real-time rate."""

    def __init__(self) -> None:
        self._queue = np.zeros(0, dtype=np.int16)
        self._queued = self._played = 0
        self._marks: list[tuple[int, str]] = []  # (queue position, name)

    @property
    def pending(self) -> bool:
        return len(self._queue) > 0

    def push(self, pcm: np.ndarray) -> None:
        self._queue = np.concatenate([self._queue, pcm])
        self._queued += len(pcm)

    def mark(self, name: str) -> None:
        self._marks.append((self._queued, name))

    def clear(self) -> list[str]:
        """Drop the unplayed audio; its marks are due at once (as Twilio sends them)."""
        self._queue = self._queue[:0]
        self._played = self._queued
        return self._due()

    def play(self) -> tuple[np.ndarray, list[str]]:
        frame, self._queue = self._queue[:FRAME], self._queue[FRAME:]
        self._played += len(frame)
        padded = np.concatenate([frame, SILENCE[len(frame) :]])
        return padded, self._due()

    def _due(self) -> list[str]:
        due = [name for at, name in self._marks if at <= self._played]
        self._marks = [(at, name) for at, name in self._marks if at > self._played]
        return due


class CallSession:
    def __init__(
        self,
        ws: ClientConnection,
        client: CarrierClient,
        turns: Sequence[tuple[Path, np.ndarray]],
        options: CallOptions,
    ) -> None:
        self.ws, self.client, self.options = ws, client, options
        self.audio = [pcm for _, pcm in turns]
        self.timeline = Timeline(turns=[TurnSpan(wav) for wav, _ in turns])
        self.ear = Ear()
        self.outbox: list[str] = []
        self.tick = 0
        self.turn: int | None = None  # index of the turn being spoken
        self.position = 0  # samples of it already sent
        self.next_turn = 0
        self.listen_since = 0
        self.onset: int | None = None  # first audible bot tick since listening began
        self.last_audible = -1
        self.hung_up = False

    async def run(self) -> Timeline:
        receiver = asyncio.create_task(self._receive())
        try:
            for message in self.client.opening():
                await self.ws.send(message)
            await self._talk()
        except ConnectionClosed:
            pass
        finally:
            await asyncio.wait([receiver], timeout=5)
            receiver.cancel()
        self._drain()
        self.timeline.close_code = self.ws.close_code
        self.timeline.close_reason = self.ws.close_reason or ""
        self.timeline.closed_by = "caller" if self.hung_up else "server"
        return self.timeline

    async def _receive(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in self.ws:
                event = self.client.parse(data)
                if event.kind == "media" and event.audio is not None:
                    self.ear.push(event.audio)
                elif event.kind == "clear":
                    self.timeline.clears.append(self.tick)
                    self._echo(self.ear.clear())
                elif event.kind == "mark":
                    self.ear.mark(event.name)
                elif event.kind == "error":
                    self.timeline.errors.append(event.reason)

    def _echo(self, marks: list[str]) -> None:
        for name in marks:
            if (echo := self.client.mark_played(name)) is not None:
                self.outbox.append(echo)

    async def _talk(self) -> None:
        loop = asyncio.get_running_loop()
        started, limit = loop.time(), ticks(self.options.timeout_s)
        while self.ws.close_code is None:
            if self.tick >= limit:
                self.timeline.timed_out = True
                await self._hang_up("caller timed out")
                return
            sent = self._step()
            if sent is None:
                await self._hang_up("caller hung up")
                return
            self.outbox.append(self.client.media(sent))
            outgoing, self.outbox = self.outbox, []
            for message in outgoing:
                await self.ws.send(message)
            self.tick += 1
            await asyncio.sleep(max(0.0, started + self.tick * FRAME_MS / 1000 - loop.time()))

    def _step(self) -> np.ndarray | None:
        """Play one bot frame, decide what the caller says; None once it is time to hang up."""
        self._hear()
        if self.turn is None and self._ready():
            if self.next_turn == len(self.audio):
                return None
            self.turn, self.position = self.next_turn, 0
            self.timeline.turns[self.turn].start = self.tick
            self.next_turn += 1
        spoken = SILENCE if self.turn is None else self._speak(self.turn)
        self.timeline.caller.append(spoken)
        return spoken

    def _hear(self) -> None:
        frame, due = self.ear.play()
        self._echo(due)
        self.timeline.bot.append(frame)
        if audible(frame):
            self.last_audible = self.tick
            if self.onset is None:
                self.onset = self.tick

    def _ready(self) -> bool:
        waited = self.tick - self.listen_since
        if self.onset is None:
            return waited >= ticks(self.options.answer_timeout_s)
        if self.options.barge_in and self.next_turn < len(self.audio):
            return self.tick - self.onset >= ticks(self.options.barge_in_after_s)
        return self.tick - self.last_audible >= ticks(self.options.reply_silence_s)

    def _speak(self, turn: int) -> np.ndarray:
        chunk = self.audio[turn][self.position : self.position + FRAME]
        self.position += FRAME
        if self.position >= len(self.audio[turn]):
            self.timeline.turns[turn].end = self.tick + 1
            self.timeline.turns[turn].completed = True
            self.turn, self.listen_since, self.onset = None, self.tick + 1, None
        return np.concatenate([chunk, SILENCE[len(chunk) :]])

    async def _hang_up(self, reason: str) -> None:
        self.hung_up = True
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(self.client.hangup(reason))
        await self.ws.close(1000, reason)

    def _drain(self) -> None:
        """Cut the turn in progress; if the server hung up, the ear still plays out its queue."""
        if self.turn is not None:
            self.timeline.turns[self.turn].end = self.tick
        while self.ear.pending and not self.hung_up:
            self._hear()
            self.timeline.caller.append(SILENCE)
            self.tick += 1


async def place_call(
    carrier: str,
    url: str,
    turns: Sequence[Path],
    bot: str | None = None,
    *,
    from_: str = "+15551230000",
    to: str = "+15557650000",
    call_id: str | None = None,
    params: dict[str, str] | None = None,
    options: CallOptions | None = None,
    record: Path | None = None,
    transcribe: bool = True,
) -> CallReport:
    """Dial ``url`` as ``carrier``, speak ``turns`` (WAVs at any rate) and report what was heard."""
    options = options or CallOptions()
    try:
        audio = [(Path(path), load_mono(path, RATE)) for path in turns]
    except (OSError, ValueError, EOFError) as error:
        raise CallFailed(f"cannot read caller audio: {error}") from error
    call = CallIdentity(call_id or new_call_id(carrier), bot, from_, to, dict(params or {}))
    client = client_for(carrier, call)
    try:
        ws = await connect(url, open_timeout=10, compression=None, max_size=2**20)
    except (OSError, TimeoutError, WebSocketException) as error:
        raise CallFailed(f"cannot connect to {url}: {error}") from error
    async with ws:
        timeline = await CallSession(ws, client, audio, options).run()
    report = CallReport(
        carrier=carrier,
        url=url,
        call_id=call.call_id,
        bot=bot,
        barge_in=options.barge_in,
        turns=measure(timeline),
        duration_s=len(timeline.bot) * FRAME_MS / 1000,
        close_code=timeline.close_code,
        close_reason=timeline.close_reason,
        closed_by=timeline.closed_by,
        timed_out=timeline.timed_out,
        errors=timeline.errors,
        audio=stereo_audio(timeline),
    )
    if record is not None:
        report.recording = write_wav(record, report.audio, RATE)
    if transcribe:
        await asyncio.to_thread(transcribe_heard, report, timeline)
    return report
