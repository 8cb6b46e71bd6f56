"""``fake`` STT: one scripted transcript per caller utterance, whatever was said.

Pipecat's segmented base hands :meth:`FakeSTTService.run_stt` one VAD segment per utterance,
as it does to ``local-whisper``; the fake answers the segment with the script's next
transcript. A scripted failure is raised from ``run_stt`` as a real SDK error would be: the
base class reports it and :meth:`FakeSTTService._classify_error` gives it the script's
category.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from pipecat.frames.frames import Frame, TranscriptionFrame
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.utils.errors import ErrorCategory
from pipecat.utils.time import time_now_iso8601
from pydantic import Field

from shared.providers.fake.script import Script, Timeline, classify
from shared.providers.spec import ProviderContext, ProviderSpec

# Above the default VAD stop (0.2 s): Pipecat's turn strategy waits the difference for a
# transcript before it gives up on one, and warns when there is nothing to wait.
TTFS_P99_S = 0.3


class FakeSTTScript(Script):
    """``transcripts``: what each utterance is heard as; utterances past the end go unheard."""

    transcripts: list[str] = Field(default_factory=list)


@dataclass
class FakeSTTSettings(STTSettings):
    """No runtime settings: the script is fixed when the service is built."""


class FakeSTTService(SegmentedSTTService):
    """Transcribes the n-th caller utterance as the script's n-th transcript."""

    Settings = FakeSTTSettings
    _settings: FakeSTTSettings

    def __init__(self, script: FakeSTTScript, **kwargs: object) -> None:
        super().__init__(
            settings=FakeSTTSettings(model="fake", language=None),
            ttfs_p99_latency=script.delay_s + TTFS_P99_S,
            **kwargs,  # type: ignore[arg-type]
        )
        self.script = script
        self.timeline = Timeline(script, "fake-stt")

    @property
    def wants_wav_segments(self) -> bool:
        return False

    def _classify_error(self, exception: Exception) -> ErrorCategory | None:
        return classify(exception)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        turn = await self.timeline.next_turn()
        text = self.script.transcripts[turn] if turn < len(self.script.transcripts) else ""
        if text:
            yield TranscriptionFrame(text, self._user_id, time_now_iso8601())


def create(spec: ProviderSpec, ctx: ProviderContext) -> FakeSTTService:
    return FakeSTTService(FakeSTTScript(**spec.options))
