"""Text through a Pipecat pipeline with a TTS service: ``TTS -> probe``, on the wall clock.

A sample is spoken as the live path speaks a reply: a ``TTSSpeakFrame`` into a running
pipeline whose output rate is the line's. The probe stamps every audio chunk on arrival, so
time to first audible audio can count leading silence as a caller hears it (Coval's TTFA):
a chunk of silence that arrives early still delays the first word.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np
from pipecat.frames.frames import (
    Frame,
    MetricsFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStoppedFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from lab.caller.report import AUDIBLE_DBFS
from lab.runners.pipeline import BackgroundPipeline
from shared.audio import rms_dbfs
from shared.providers import registry
from shared.providers.spec import ProviderContext, ProviderSpec

AUDIBLE_WINDOW_S = 0.02  # loudness is judged per 20 ms, as the simulated caller's ear does


@dataclass
class Spoken:
    """What one text became: audio chunks with their arrival times (``time.perf_counter``)."""

    sent_at: float = 0.0
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    ttfb_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished_at: float | None = None

    def audio(self) -> np.ndarray:
        return np.frombuffer(b"".join(chunk for _, chunk in self.chunks), dtype=np.int16)


def first_audible(audio: np.ndarray, rate: int) -> int | None:
    """The first sample of the first audible 20 ms window, if any."""
    window = int(rate * AUDIBLE_WINDOW_S)
    for start in range(0, len(audio), window):
        if rms_dbfs(audio[start : start + window]) > AUDIBLE_DBFS:
            return start
    return None


def timings(spoken: Spoken, rate: int) -> dict[str, float | None]:
    """First byte, leading silence, time to first audible audio and synthesis time.

    Playback is taken to start when the first chunk arrives and to run in real time: the
    first audible sample plays at the later of its place in the audio after that start and
    the arrival of the chunk holding it.
    """
    audio = spoken.audio()
    if not spoken.chunks:
        return {"first_byte_s": None, "leading_silence_s": None, "ttfa_s": None, "synth_s": None}
    first_at = spoken.chunks[0][0]
    audible = first_audible(audio, rate)
    ttfa = None
    if audible is not None:
        offset, arrived = 0, first_at
        for at, chunk in spoken.chunks:
            offset += len(chunk) // 2
            if offset > audible:
                arrived = at
                break
        ttfa = max(arrived, first_at + audible / rate) - spoken.sent_at
    return {
        "first_byte_s": first_at - spoken.sent_at,
        "leading_silence_s": None if audible is None else audible / rate,
        "ttfa_s": ttfa,
        "synth_s": spoken.chunks[-1][0] - spoken.sent_at,
    }


class Probe(FrameProcessor):
    """Last in the pipeline: stamps audio chunks and notes when the utterance ends."""

    def __init__(self) -> None:
        super().__init__()
        self.spoken = Spoken()
        self.done = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        now = time.perf_counter()
        if isinstance(frame, TTSAudioRawFrame):
            self.spoken.chunks.append((now, frame.audio))
        elif isinstance(frame, TTSStoppedFrame):
            self.spoken.finished_at = now
            self.done.set()
        elif isinstance(frame, MetricsFrame):
            self.spoken.ttfb_s += [
                d.value for d in frame.data if isinstance(d, TTFBMetricsData) and d.value
            ]
        await self.push_frame(frame, direction)


class TtsStream:
    """A TTS service in a running pipeline at the line's rate; ``speak`` one text at a time."""

    def __init__(self, spec: ProviderSpec, ctx: ProviderContext) -> None:
        self.rate = ctx.sample_rate
        self.tts = registry.create(spec, ctx)
        self.probe = Probe()
        self.pipeline = BackgroundPipeline(
            [self.tts, self.probe],
            PipelineParams(audio_out_sample_rate=self.rate, enable_metrics=True),
            on_error=self._on_error,
        )

    def _on_error(self, error: str) -> None:
        self.probe.spoken.errors.append(error)
        self.probe.done.set()  # a failed synthesis ends the sample, with its error

    async def __aenter__(self) -> TtsStream:
        await self.pipeline.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.pipeline.stop()

    async def speak(self, text: str, timeout_s: float) -> Spoken:
        """Synthesize ``text`` as a reply is synthesized live, until its TTS stops."""
        self.probe.spoken = spoken = Spoken(sent_at=time.perf_counter())
        self.probe.done.clear()
        await self.pipeline.queue(TTSSpeakFrame(text))
        try:
            async with asyncio.timeout(timeout_s):
                await self.probe.done.wait()
        except TimeoutError:
            spoken.errors.append(f"no end of speech within {timeout_s:.0f} s")
        return spoken
