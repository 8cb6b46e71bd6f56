"""The STT runner: each sample's caller audio through the provider with the live VAD.

A sample is one caller turn (its span, padded) when every caller turn of a row has times,
else the row's whole caller channel scored against all its caller turns; ``unit="call"``
forces the latter. Per sample: hypothesis, word and character errors, whether the numbers
came through (Whisper's English normalizer on both sides, :mod:`lab.scoring`), TTFS and time
to first partial (:func:`lab.runners.stt_stream.latencies`), and the wall time it took
(RTFx in fast pace; in real time it only says the pipeline kept up).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np

from lab.data.manifest import Dataset
from lab.runners.base import Observation, Runner, RunnerSettings, Sample, Scores
from lab.runners.stt_stream import Pace, SttStream, latencies
from lab.scoring import NORMALIZER_VERSION, score_text
from shared.audio import read_wav, resample
from shared.config.bot import TurnTaking
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.providers.spec import ProviderContext, ProviderSpec
from shared.results import ProviderUsage
from shared.settings import get_settings

PAD_BEFORE_S, PAD_AFTER_S = 0.5, 0.3  # around a turn's span: the VAD needs its onset


@dataclass(frozen=True)
class SttSettings(RunnerSettings):
    pace: Pace = "fast"
    unit: Literal["turn", "call"] = "turn"
    sample_rate: int | None = None  # stream at this rate (8000: telephone); None: the row's
    turn: TurnTaking = field(default_factory=TurnTaking)
    settle_s: float = 3.0  # a streaming STT's finals may follow the VAD stop by this much
    decode_timeout_s: float = 60.0
    tenant: str = "default"


@cache
def file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key only
    return hashlib.sha256(path.read_bytes()).hexdigest()


def caller_audio(path: Path, span: tuple[float, float] | None, rate: int | None) -> np.ndarray:
    """The caller's channel (left of a stereo recording), cut to ``span``, at ``rate``."""
    pcm = read_wav(path, mono=False)
    samples = pcm.samples if pcm.samples.ndim == 1 else pcm.samples[:, 0]
    if span is not None:
        samples = samples[int(span[0] * pcm.sample_rate) : int(span[1] * pcm.sample_rate)]
    return resample(samples, pcm.sample_rate, rate) if rate else samples


class SttRunner(Runner[ProviderSpec]):
    name = "stt"
    kind = "stt"
    version = 1
    settings_type = SttSettings
    settings: SttSettings
    metrics = (
        "wer",
        "cer",
        "digit_accuracy",
        "ttfs_p50_s",
        "ttfs_p95_s",
        "first_partial_p50_s",
        "rtfx",
        "cost_per_1000_min_usd",
    )

    def normalizer(self) -> str:
        return NORMALIZER_VERSION

    def samples(self, dataset: Dataset) -> list[Sample]:
        samples = []
        for row in dataset.rows:
            path = dataset.audio_path(row)
            stat = path.stat()
            audio = {
                "sha256": file_sha256(path, stat.st_size, stat.st_mtime_ns),
                "rate": self.settings.sample_rate or row.sample_rate,
            }
            turns = [(i, t) for i, t in enumerate(row.turns) if t.role == "caller"]
            timed = all(t.start_s is not None and t.end_s is not None for _, t in turns)
            if self.settings.unit == "call" or not timed:
                samples.append(Sample(row.id, row, row.duration_s, {**audio, "span": None}))
                continue
            for i, turn in turns:
                assert turn.start_s is not None and turn.end_s is not None
                span = (max(0.0, turn.start_s - PAD_BEFORE_S), turn.end_s + PAD_AFTER_S)
                span = (span[0], min(row.duration_s, span[1]))
                inputs = {**audio, "span": list(span)}
                samples.append(Sample(f"{row.id}#t{i}", row, span[1] - span[0], inputs, i, span))
        return samples

    @asynccontextmanager
    async def worker(self, dataset: Dataset, spec: ProviderSpec) -> AsyncIterator[SttWorker]:
        # Weights load (and warm up) before the clock starts: RTFx measures decoding. An
        # in-process model splits the cores between concurrent samples (throughput; TTFS
        # then is not the live figure, where one decode has every core).
        registry.share_cores(spec, self.settings.concurrency)
        await asyncio.to_thread(registry.preload, spec)
        yield SttWorker(self.settings, dataset, spec)

    def reference(self, sample: Sample) -> str:
        if sample.turn is not None:
            return sample.row.turns[sample.turn].text
        return " ".join(t.text for t in sample.row.caller_turns)

    def score(self, sample: Sample, observation: Observation) -> Scores:
        return score_text(self.reference(sample), observation.get("hypothesis", "")).scores()

    def usage(
        self, sample: Sample, observation: Observation, spec: ProviderSpec
    ) -> list[ProviderUsage]:
        """Streaming STT bills every second streamed: the sample's whole audio."""
        return [
            ProviderUsage(
                kind="stt", provider=spec.name, model=spec.model, audio_seconds=sample.audio_s
            )
        ]


class SttWorker:
    """Builds a fresh pipeline for each sample (~25 ms), counted in its compute time."""

    def __init__(self, settings: SttSettings, dataset: Dataset, spec: ProviderSpec) -> None:
        self.settings, self.dataset, self.spec = settings, dataset, spec
        self.credentials = Credentials.from_settings(get_settings())

    async def observe(self, sample: Sample) -> Observation:
        settings, row = self.settings, sample.row
        rate = settings.sample_rate or row.sample_rate
        audio = caller_audio(self.dataset.audio_path(row), sample.span, rate)
        access = self.credentials.access(settings.tenant, self.spec)
        ctx = ProviderContext(sample_rate=rate, language=row.language, access=access)
        began = time.perf_counter()
        stream = SttStream(self.spec, ctx, settings.turn, settings.pace)
        await stream.start()
        try:
            heard = await stream.hear(audio, settings.settle_s, settings.decode_timeout_s)
        finally:
            await stream.stop()
        return {
            "hypothesis": " ".join(text for _, text in heard.finals).strip(),
            **latencies(heard),
            "pipecat_ttfb_s": heard.ttfb_s[-1] if heard.ttfb_s else None,
            "segments": len(heard.stops),
            "pace": stream.pace,
            "compute_s": round(time.perf_counter() - began, 4),
            "errors": heard.errors,
        }
