"""The TTS runner: each bot line of a dataset spoken through the provider at the line's rate.

Per sample: time to first audible audio with leading silence counted (Coval's TTFA, from
:func:`lab.runners.tts_stream.timings`), Pipecat's TTFB as a cross-check, the real-time factor
(synthesis time over the audio's length), and intelligibility as a round trip: the bundled
Whisper (a fixed judge, whatever STT is being compared elsewhere) transcribes the synthesized
audio, scored against the text with the lab's one normalizer. The audio is kept, so a
notebook can play the worst samples.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from lab.data.manifest import Dataset
from lab.runners.base import Observation, Runner, RunnerSettings, Sample, Scores
from lab.runners.tts_stream import TtsStream, timings
from lab.scoring import NORMALIZER_VERSION, score_text
from lab.store import DEFAULT_ROOT
from shared.audio import write_wav
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.providers.local_whisper.model import transcribe
from shared.providers.spec import ProviderContext, ProviderSpec
from shared.results import ProviderUsage
from shared.settings import get_settings

JUDGE = "local-whisper (whisper-tiny.en-int8)"


@dataclass(frozen=True)
class TtsSettings(RunnerSettings):
    sample_rate: int = 8000  # the line's rate: what a caller hears
    turn_timeout_s: float = 60.0
    tenant: str = "default"
    audio_dir: Path = DEFAULT_ROOT.parent / "audio"  # the synthesized speech, per sample

    UNKEYED: ClassVar[frozenset[str]] = frozenset({"concurrency", "audio_dir"})


class TtsRunner(Runner[ProviderSpec]):
    name = "tts"
    kind = "tts"
    version = 1
    settings_type = TtsSettings
    settings: TtsSettings
    metrics = (
        "ttfa_p50_s",
        "ttfa_p95_s",
        "tts_ttfb_p50_s",
        "rtf",
        "round_trip_wer",
        "characters",
        "cost_per_hour_of_speech_usd",
    )

    def normalizer(self) -> str:
        return NORMALIZER_VERSION

    def samples(self, dataset: Dataset) -> list[Sample]:
        """One per bot line; the same line in several rows (a call at three SNRs) has the
        same inputs, so it is synthesized once."""
        samples = []
        for row in dataset.rows:
            for index, turn in enumerate(row.turns):
                if turn.role != "bot" or not turn.text.strip():
                    continue
                inputs = {
                    "text": turn.text,
                    "language": row.language,
                    "rate": self.settings.sample_rate,
                }
                spoken_s = (turn.end_s or 0.0) - (turn.start_s or 0.0)
                samples.append(Sample(f"{row.id}#t{index}", row, spoken_s, inputs, index))
        return samples

    @asynccontextmanager
    async def worker(self, dataset: Dataset, spec: ProviderSpec) -> AsyncIterator[TtsWorker]:
        await asyncio.to_thread(registry.preload, spec)
        access = Credentials.from_settings(get_settings()).access(self.settings.tenant, spec)
        ctx = ProviderContext(sample_rate=self.settings.sample_rate, access=access)
        async with TtsStream(spec, ctx) as stream:
            yield TtsWorker(self.settings, dataset.name, spec, stream)

    def score(self, sample: Sample, observation: Observation) -> Scores:
        return score_text(sample.inputs["text"], observation.get("heard", "")).scores()

    def usage(
        self, sample: Sample, observation: Observation, spec: ProviderSpec
    ) -> list[ProviderUsage]:
        """TTS bills per character synthesized."""
        return [
            ProviderUsage(
                kind="tts",
                provider=spec.name,
                model=spec.model,
                characters=len(sample.inputs["text"]),
            )
        ]


class TtsWorker:
    """Speaks samples one at a time through one running pipeline, as a call's replies are."""

    def __init__(self, settings: TtsSettings, dataset: str, spec: ProviderSpec, stream: TtsStream):
        self.settings, self.stream = settings, stream
        self.audio_dir = (
            settings.audio_dir / dataset / spec.label.replace("/", "_").replace(":", "-")
        )

    async def observe(self, sample: Sample) -> Observation:
        rate = self.settings.sample_rate
        spoken = await self.stream.speak(sample.inputs["text"], self.settings.turn_timeout_s)
        audio = spoken.audio()
        if spoken.errors and not len(audio):
            raise RuntimeError("; ".join(spoken.errors))
        began = time.perf_counter()
        heard = await asyncio.to_thread(transcribe, audio, rate) if len(audio) else ""
        path = write_wav(self.audio_dir / f"{sample.id.replace('#', '_')}.wav", audio, rate)
        return {
            **timings(spoken, rate),
            "audio_s": round(len(audio) / rate, 3),
            "pipecat_ttfb_s": spoken.ttfb_s[0] if spoken.ttfb_s else None,
            "heard": heard,
            "judge": JUDGE,
            "judge_s": round(time.perf_counter() - began, 3),
            "audio_path": str(path),
            "characters": len(sample.inputs["text"]),
            "errors": spoken.errors,
        }
