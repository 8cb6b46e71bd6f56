"""``fake`` TTS: a tone as long as the text, sentence by sentence, failing on cue.

Each sentence Pipecat's TTS base hands :meth:`FakeTTSService.run_tts` is one turn of the
script; its audio is a quiet 440 Hz tone of ``ms_per_char`` per character, loud enough for
the simulated caller's ear to count as speech. A scripted failure is yielded as an
``ErrorFrame`` with its exception, as Pipecat's HTTP TTS services report theirs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

import numpy as np
from pipecat.frames.frames import ErrorFrame, Frame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.utils.errors import ErrorCategory
from pydantic import Field

from shared.providers.fake.script import FakeProviderError, Script, Timeline, classify
from shared.providers.spec import ProviderContext, ProviderSpec

CHUNK_S = 0.02


class FakeTTSScript(Script):
    """``ms_per_char``: how long the tone for a sentence lasts, per character of its text."""

    ms_per_char: float = Field(20.0, gt=0, le=200)


@dataclass
class FakeTTSSettings(TTSSettings):
    """No runtime settings: the script is fixed when the service is built."""


def tone(seconds: float, sample_rate: int) -> bytes:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (np.sin(2 * np.pi * 440 * t) * 6000).astype(np.int16).tobytes()


class FakeTTSService(TTSService):
    """Speaks each sentence as a tone; the script's n-th sentence may fail instead."""

    Settings = FakeTTSSettings
    _settings: FakeTTSSettings

    def __init__(self, script: FakeTTSScript, **kwargs: object) -> None:
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            settings=FakeTTSSettings(model="fake", voice="tone", language=None),
            **kwargs,  # type: ignore[arg-type]
        )
        self.script = script
        self.timeline = Timeline(script, "fake-tts")

    def _classify_error(self, exception: Exception) -> ErrorCategory | None:
        return classify(exception)

    async def _chunks(self, audio: bytes) -> AsyncIterator[bytes]:
        step = int(CHUNK_S * self.sample_rate) * 2
        for start in range(0, len(audio), step):
            yield audio[start : start + step]

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        try:
            await self.timeline.next_turn()
        except FakeProviderError as error:
            yield ErrorFrame(str(error), exception=error)
            return
        audio = tone(len(text) * self.script.ms_per_char / 1000, self.sample_rate)
        async for frame in self._stream_audio_frames_from_iterator(
            self._chunks(audio), in_sample_rate=self.sample_rate, context_id=context_id
        ):
            await self.stop_ttfb_metrics()
            yield frame


def create(spec: ProviderSpec, ctx: ProviderContext) -> FakeTTSService:
    return FakeTTSService(FakeTTSScript(**spec.options), sample_rate=ctx.sample_rate)
