"""Audio through a Pipecat pipeline with the live path's VAD: ``VADProcessor -> STT -> probe``.

The VAD is Silero with the bot's turn-taking settings (:class:`shared.config.bot.TurnTaking`),
so segments, and the anchor of every latency, are the ones a live call gets. Latency follows
Pipecat's STT TTFB (and stt-benchmark's TTFS): from the end of speech, i.e. the VAD's stop
minus its ``stop_secs``, to the last final transcript.

Two paces. ``realtime`` sends 20 ms frames on the wall clock, the only honest way to time a
streaming cloud STT. ``fast`` sends them as fast as the pipeline takes them (a few frames in
flight), except while a segment the VAD closed is being decoded: then on the wall clock, as
a live line goes on delivering audio meanwhile. A decode thus competes for the CPU with what
it competes with live, and ``stop_secs + decode`` is the latency a live call would see,
while the rest streams at tens of times real time. Only segmented STTs (which decode on the
VAD stop) can run fast; others fall back to ``realtime``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    DataFrame,
    Frame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    MetricsFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.stt_service import SegmentedSTTService

from lab.runners.pipeline import START_TIMEOUT_S, BackgroundPipeline
from shared.config.bot import TurnTaking
from shared.providers import registry
from shared.providers.spec import ProviderContext, ProviderSpec

Pace = Literal["fast", "realtime"]
FRAME_S = 0.02
IN_FLIGHT = 5  # frames sent ahead of the probe in fast pace


class _Mark(DataFrame):
    """Sent after a sample: once the probe has it, every earlier frame has arrived."""


@dataclass
class Heard:
    """What reached the end of the pipeline during one sample, on the wall clock."""

    starts: list[tuple[float, float]] = field(default_factory=list)  # (timestamp, start_secs)
    stops: list[tuple[float, float]] = field(default_factory=list)  # (timestamp, stop_secs)
    finals: list[tuple[float, str]] = field(default_factory=list)
    partials: list[tuple[float, str]] = field(default_factory=list)
    ttfb_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def speaking(self) -> bool:
        return len(self.starts) > len(self.stops)


class Probe(FrameProcessor):
    """Last in the pipeline: records what arrives and frees a slot per audio frame."""

    def __init__(self) -> None:
        super().__init__()
        self.window = asyncio.Semaphore(IN_FLIGHT)
        self.heard = Heard()
        self.marked = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        now, heard = time.time(), self.heard
        if isinstance(frame, InputAudioRawFrame):
            self.window.release()
            return  # audio ends here: nothing downstream wants it
        if isinstance(frame, _Mark):
            self.marked.set()
            return
        if isinstance(frame, VADUserStartedSpeakingFrame):
            heard.starts.append((frame.timestamp, frame.start_secs))
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            heard.stops.append((frame.timestamp, frame.stop_secs))
        elif isinstance(frame, TranscriptionFrame):
            heard.finals.append((now, frame.text))
        elif isinstance(frame, InterimTranscriptionFrame):
            heard.partials.append((now, frame.text))
        elif isinstance(frame, MetricsFrame):
            heard.ttfb_s += [
                d.value for d in frame.data if isinstance(d, TTFBMetricsData) and d.value
            ]
        await self.push_frame(frame, direction)


class Decodes:
    """Counts finished decodes of a segmented STT by wrapping its ``run_stt``.

    Pipecat offers no signal that a segment was decoded to nothing (no frame at all); fast
    pace needs one, so the instance's ``run_stt`` is wrapped (not the class: nothing outside
    this pipeline sees it).
    """

    def __init__(self, stt: SegmentedSTTService) -> None:
        self.done = 0
        decode = stt.run_stt

        async def counted(audio: bytes) -> AsyncGenerator[Frame, None]:
            try:
                async for frame in decode(audio):
                    if frame is not None:
                        yield frame
            finally:
                self.done += 1

        stt.run_stt = counted  # type: ignore[method-assign]


def vad_params(turn: TurnTaking) -> VADParams:
    return VADParams(
        confidence=turn.vad_confidence,
        start_secs=turn.vad_start_s,
        stop_secs=turn.vad_stop_s,
        min_volume=turn.vad_min_volume,
    )


class SttStream:
    """One pipeline for one sample: each is heard on a line of its own, as each call is, so a
    result never depends on which samples went before (or were cached)."""

    def __init__(self, spec: ProviderSpec, ctx: ProviderContext, turn: TurnTaking, pace: Pace):
        rate = ctx.sample_rate
        self.rate, self.turn = rate, turn
        self.stt = registry.create(spec, ctx)
        self.decodes = Decodes(self.stt) if isinstance(self.stt, SegmentedSTTService) else None
        self.pace: Pace = pace if self.decodes else "realtime"
        vad = VADProcessor(
            vad_analyzer=SileroVADAnalyzer(sample_rate=rate, params=vad_params(turn))
        )
        self.probe = Probe()
        self.pipeline = BackgroundPipeline(
            [vad, self.stt, self.probe],
            PipelineParams(audio_in_sample_rate=rate, enable_metrics=True),
            on_error=lambda error: self.probe.heard.errors.append(error),
        )
        self._due = 0.0

    async def start(self) -> None:
        await self.pipeline.start()

    async def stop(self) -> None:
        await self.pipeline.stop()

    async def hear(self, audio: np.ndarray, settle_s: float, timeout_s: float) -> Heard:
        """Send ``audio``, then silence until the VAD has stopped and the STT has answered."""
        self.probe.heard = heard = Heard()
        size = int(self.rate * FRAME_S) * 2
        tail = np.zeros(int((self.turn.vad_stop_s + 0.3) * self.rate), np.int16)
        data = np.concatenate([audio, tail]).astype(np.int16).tobytes()
        self._due = time.perf_counter()
        for offset in range(0, len(data), size):
            await self._send(data[offset : offset + size], self._decoding(heard))
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:  # until the VAD has stopped and all is decoded
            await self._flush()
            if heard.speaking:  # noise the VAD takes for speech: more silence, on the clock
                await self._send(bytes(size), True)
            elif self._decoding(heard):
                await asyncio.sleep(0.005)
            else:
                break
        if self.decodes is None:
            await self._settle(heard, settle_s)
        await self._flush()
        return heard

    def _decoding(self, heard: Heard) -> bool:
        """A segment the VAD closed is still being decoded."""
        return self.decodes is not None and self.decodes.done < len(heard.stops)

    async def _send(self, chunk: bytes, realtime: bool) -> None:
        """One 20 ms frame: on the wall clock in real-time pace, and in fast pace while a
        segment decodes (a live line keeps its pace meanwhile, and the VAD reads a gap over
        1 s as a dropped line), else as soon as a slot in flight is free."""
        await self.probe.window.acquire()
        if realtime or self.pace == "realtime":
            await asyncio.sleep(max(0.0, self._due - time.perf_counter()))
            self._due = max(self._due, time.perf_counter() - FRAME_S) + FRAME_S
        else:
            self._due = time.perf_counter()
        padded = chunk.ljust(int(self.rate * FRAME_S) * 2, b"\0")
        frame = InputAudioRawFrame(audio=padded, sample_rate=self.rate, num_channels=1)
        await self.pipeline.queue(frame)

    async def _settle(self, heard: Heard, settle_s: float) -> None:
        """Silence, in real time, until ``settle_s`` after the last VAD stop."""
        silence = bytes(int(self.rate * FRAME_S) * 2)
        while heard.stops and time.time() < heard.stops[-1][0] + settle_s:
            await self._send(silence, True)

    async def _flush(self) -> None:
        self.probe.marked.clear()
        await self.pipeline.queue(_Mark())
        async with asyncio.timeout(START_TIMEOUT_S):
            await self.probe.marked.wait()


def latencies(heard: Heard) -> dict[str, Any]:
    """TTFS (last final after the end of speech) and time to first partial (from the start
    of speech), both anchored on the VAD minus its own delay, as Pipecat's metrics are."""
    ttfs = first_partial = None
    if heard.stops:
        stopped, stop_secs = heard.stops[-1]
        anchor = stopped - stop_secs
        after = [at for at, _ in heard.finals if at >= anchor]
        ttfs = max(after) - anchor if after else None
    if heard.starts and heard.partials:
        started, start_secs = heard.starts[0]
        first_partial = heard.partials[0][0] - (started - start_secs)
    return {"ttfs_s": ttfs, "first_partial_s": first_partial}
