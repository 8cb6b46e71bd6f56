"""The stop strategy waits for the transcript of a turn's last speech segment.

A scripted turn analyzer (a subclass of Pipecat's real base class) says every segment is
complete, so the only thing deciding when a turn ends is the transcript bookkeeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pipecat.audio.turn.base_turn_analyzer import BaseTurnAnalyzer, BaseTurnParams, EndOfTurnState
from pipecat.clocks.system_clock import SystemClock
from pipecat.frames.frames import (
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import MetricsData
from pipecat.processors.frame_processor import FrameProcessorSetup
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies
from pipecat.utils.asyncio.task_manager import TaskManager

from functions.call.turns import SegmentAwareStopStrategy, only_digits, turn_strategies
from shared.config.bot import BotConfig


class AlwaysComplete(BaseTurnAnalyzer):
    """Every segment sounds finished: the transcript rule alone decides."""

    @property
    def speech_triggered(self) -> bool:
        return False

    @property
    def params(self) -> BaseTurnParams:
        return BaseTurnParams()

    def append_audio(self, buffer: bytes, is_speech: bool) -> EndOfTurnState:
        return EndOfTurnState.INCOMPLETE

    async def analyze_end_of_turn(self) -> tuple[EndOfTurnState, MetricsData | None]:
        return EndOfTurnState.COMPLETE, None

    def update_vad_start_secs(self, vad_start_secs: float) -> None:
        pass

    def clear(self) -> None:
        pass


HOLD_S = 0.3


@pytest.fixture
async def strategy() -> AsyncIterator[tuple[SegmentAwareStopStrategy, list[str]]]:
    tasks = TaskManager()
    stop = SegmentAwareStopStrategy(
        turn_analyzer=AlwaysComplete(sample_rate=8000), digit_hold_s=HOLD_S
    )
    await stop.setup(
        FrameProcessorSetup(clock=SystemClock(), task_manager=tasks, pipeline_worker=None)  # type: ignore[arg-type]
    )
    stopped: list[str] = []

    @stop.event_handler("on_user_turn_stopped")
    async def on_stopped(_strategy: Any, *_args: Any) -> None:
        stopped.append(stop._text)

    await stop.handle_user_turn_started()
    yield stop, stopped
    await stop.cleanup()


def transcript(text: str) -> TranscriptionFrame:
    """A segment's transcript as Pipecat's segmented STT pushes it: finalized."""
    return TranscriptionFrame(text=text, user_id="caller", timestamp="now", finalized=True)


async def test_a_late_transcript_of_an_earlier_segment_does_not_end_the_turn(
    strategy: tuple[SegmentAwareStopStrategy, list[str]],
) -> None:
    stop, stopped = strategy
    await stop.process_frame(VADUserStartedSpeakingFrame())
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))  # "Hi," ...
    await stop.process_frame(VADUserStartedSpeakingFrame())  # ... the caller goes on
    await stop.process_frame(transcript("Hi."))  # first segment's text, while speaking
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    assert stopped == []  # Pipecat's own strategy would end the turn here, on "Hi." alone
    await stop.process_frame(transcript("I'd like to know where my order is."))
    assert stopped == ["I'd like to know where my order is."]


async def test_a_single_segment_ends_when_its_transcript_arrives(
    strategy: tuple[SegmentAwareStopStrategy, list[str]],
) -> None:
    stop, stopped = strategy
    await stop.process_frame(VADUserStartedSpeakingFrame())
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    assert stopped == []
    await stop.process_frame(transcript("What are your opening hours?"))
    assert stopped == ["What are your opening hours?"]


async def test_digits_alone_wait_for_more_digits(
    strategy: tuple[SegmentAwareStopStrategy, list[str]],
) -> None:
    stop, stopped = strategy
    await stop.process_frame(VADUserStartedSpeakingFrame())
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    await stop.process_frame(transcript("Five."))  # SmartTurn: complete. The caller: not yet.
    await asyncio.sleep(HOLD_S / 2)
    assert stopped == []
    await stop.process_frame(VADUserStartedSpeakingFrame())  # "... five"
    await asyncio.sleep(HOLD_S)
    assert stopped == []  # speaking again: the hold is dropped, the turn goes on
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    await stop.process_frame(transcript("Five."))
    assert stopped == []
    await asyncio.sleep(HOLD_S * 1.5)
    assert stopped == ["Five."]  # one turn: the aggregator hands the LLM "Five. Five."


async def test_words_end_the_turn_without_a_hold(
    strategy: tuple[SegmentAwareStopStrategy, list[str]],
) -> None:
    stop, stopped = strategy
    await stop.process_frame(VADUserStartedSpeakingFrame())
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    await stop.process_frame(transcript("It's four five one two."))
    assert stopped == ["It's four five one two."]


@pytest.mark.parametrize(
    ("text", "digits"),
    [("Five.", True), ("4 5", True), ("double seven, oh", True), ("55", True)],
)
def test_what_counts_as_digits_alone(text: str, digits: bool) -> None:
    assert only_digits(text) is digits
    assert not only_digits("Five o'clock") and not only_digits("") and not only_digits("yes")


def test_strategies_follow_the_bot() -> None:
    base = {"id": "b", "name": "B", "scenario": "support_desk", "greeting": "Hi."}
    smart = turn_strategies(BotConfig.model_validate(base))
    assert isinstance(smart.stop[0], SegmentAwareStopStrategy)
    plain = turn_strategies(BotConfig.model_validate(base | {"turn": {"smart_turn": False}}))
    assert isinstance(plain.stop[0], SpeechTimeoutUserTurnStopStrategy)
    flux = BotConfig.model_validate(base | {"stt": {"kind": "stt", "name": "deepgram-flux"}})
    assert isinstance(turn_strategies(flux), ExternalUserTurnStrategies)
