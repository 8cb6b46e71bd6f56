"""``fake`` LLM: one scripted reply per context it is asked to answer, failing on cue.

Every ``LLMContextFrame`` (a caller turn, the greeting's context, a tool result) is one turn
of the script; the reply streams between ``LLMFullResponseStartFrame`` and
``LLMFullResponseEndFrame`` as a real LLM's does. A scripted failure is reported with
``push_error`` and its exception, as Pipecat's LLM services report theirs. It calls no tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipecat.frames.frames import (
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings
from pipecat.utils.errors import ErrorCategory
from pydantic import Field

from shared.providers.fake.script import FakeProviderError, Script, Timeline, classify
from shared.providers.offline_llm import unsampled
from shared.providers.spec import ProviderContext, ProviderSpec


class FakeLLMScript(Script):
    """``replies``: the answer to each context in turn; past the end, the bot says nothing."""

    replies: list[str] = Field(default_factory=list)


@dataclass
class FakeLLMSettings(LLMSettings):
    """No sampling settings apply: the replies are fixed."""


class FakeLLMService(LLMService):
    """Answers the n-th context with the script's n-th reply."""

    Settings = FakeLLMSettings
    _settings: FakeLLMSettings

    def __init__(self, script: FakeLLMScript, **kwargs: Any) -> None:
        super().__init__(
            settings=unsampled(FakeLLMSettings, "fake"),
            **kwargs,
        )
        self.script = script
        self.timeline = Timeline(script, "fake-llm")

    def _classify_error(self, exception: Exception) -> ErrorCategory | None:
        return classify(exception)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._reply()
            return
        await self.push_frame(frame, direction)

    async def _reply(self) -> None:
        await self.push_frame(LLMFullResponseStartFrame())
        try:
            turn = await self.timeline.next_turn()
        except FakeProviderError as error:
            await self.push_error(error_msg=str(error), exception=error)
        else:
            if turn < len(self.script.replies) and self.script.replies[turn]:
                await self._push_llm_text(self.script.replies[turn])
        finally:
            await self.push_frame(LLMFullResponseEndFrame())


def create(spec: ProviderSpec, ctx: ProviderContext) -> FakeLLMService:
    return FakeLLMService(FakeLLMScript(**spec.options))
