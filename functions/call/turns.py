"""Turn taking: VAD starts a turn (and barges in), SmartTurn v3 decides when it has ended.

SmartTurn's model wants 16 kHz: Pipecat 1.14 resamples 8 kHz segments before inference (the
silent failure of pipecat#3844 is fixed there; ``tests/functions/call`` checks it on real
speech).

An STT that detects turns itself (Deepgram Flux) proposes each turn's start and end instead,
and Pipecat's external strategies resolve those proposals: VAD still runs but decides nothing.
"""

from __future__ import annotations

import asyncio
import re

from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.frames.frames import TranscriptionFrame, VADUserStoppedSpeakingFrame
from pipecat.turns.user_start import VADUserTurnStartStrategy
from pipecat.turns.user_stop import (
    BaseUserTurnStopStrategy,
    SpeechTimeoutUserTurnStopStrategy,
    TurnAnalyzerUserTurnStopStrategy,
)
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies, UserTurnStrategies

from shared.config.bot import BotConfig
from shared.providers.registry import TURN_DETECTING_STT

DIGIT_WORDS = frozenset(
    {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
    | {"double", "triple"}
)


def only_digits(text: str) -> bool:
    """``text`` is a run of digits, spoken or written ("Five.", "4 5", "double 7")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return bool(words) and all(word.isdigit() or word in DIGIT_WORDS for word in words)


class SegmentAwareStopStrategy(TurnAnalyzerUserTurnStopStrategy):
    """Ends a turn only once the transcript of its *last* speech segment is in.

    With a segmented STT (one transcript per VAD segment) a caller who says "Hi, [pause]
    I'd like to check my order" produces two segments. The transcript of "Hi" lands while
    they are already speaking again; Pipecat's strategy takes it as final, and at the next
    VAD stop ends the turn at once with "Hi." alone, answering it while the rest of the
    sentence is still being transcribed. Here a transcript finalizes the turn only when the
    caller is silent and every segment of the turn has been transcribed; otherwise Pipecat's
    own safety-net timeout still applies.
    """

    def __init__(self, *, digit_hold_s: float = 0.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._segments = 0
        self._transcripts = 0
        self._digit_hold_s = digit_hold_s
        self._hold: asyncio.Task[None] | None = None

    async def _reset(self) -> None:
        await super()._reset()
        self._segments = 0
        self._transcripts = 0

    async def _discard_pending_end_of_turn(self) -> None:
        """The caller speaking again (or a turn boundary) also drops a digit hold."""
        await super()._discard_pending_end_of_turn()
        if self._hold is not None:
            await self.task_manager.cancel_task(self._hold)
            self._hold = None

    async def trigger_user_turn_stopped(
        self, *, enable_user_speaking_frames: bool | None = None
    ) -> None:
        """End the turn, unless it is digits alone: then only after ``digit_hold_s`` more
        without speech (speech in between continues the turn: "five ... five" is 55)."""
        if self._hold is not None:
            return  # already holding: the hold ends the turn
        if self._digit_hold_s > 0 and only_digits(self._text):
            self._hold = self.task_manager.create_task(
                self._end_after_hold(enable_user_speaking_frames), f"{self}::digit_hold"
            )
            return
        await super().trigger_user_turn_stopped(
            enable_user_speaking_frames=enable_user_speaking_frames
        )

    async def _end_after_hold(self, enable_user_speaking_frames: bool | None) -> None:
        await asyncio.sleep(self._digit_hold_s)
        self._hold = None
        await super().trigger_user_turn_stopped(
            enable_user_speaking_frames=enable_user_speaking_frames
        )

    async def _handle_vad_user_stopped_speaking(self, frame: VADUserStoppedSpeakingFrame) -> None:
        self._segments += 1
        await super()._handle_vad_user_stopped_speaking(frame)

    async def _handle_transcription(self, frame: TranscriptionFrame) -> None:
        self._transcripts += 1
        if self._vad_user_speaking or self._transcripts < self._segments:
            self._text = frame.text  # an earlier segment: text in hand, but not the last word
            return
        await super()._handle_transcription(frame)


def turn_strategies(bot: BotConfig) -> UserTurnStrategies:
    """How the bot decides the caller's turn has started and ended (VAD, then SmartTurn v3).

    With Flux, Flux's ``StartOfTurn`` opens the turn (interrupting the bot unless the bot
    disallows it) and its ``EndOfTurn``, which carries the turn's transcript, closes it. This
    is the strategy the Flux service itself recommends; it is given explicitly because
    explicit strategies always win over a service's recommendation, and so that the bot's
    ``allow_interruptions`` applies.
    """
    turn = bot.turn
    if bot.stt.name in TURN_DETECTING_STT:
        return ExternalUserTurnStrategies(enable_interruptions=turn.allow_interruptions)
    stop: BaseUserTurnStopStrategy
    if turn.smart_turn:
        params = SmartTurnParams(stop_secs=turn.smart_turn_stop_s)
        stop = SegmentAwareStopStrategy(
            turn_analyzer=LocalSmartTurnAnalyzerV3(params=params), digit_hold_s=turn.digit_hold_s
        )
    else:  # the turn ends after a fixed quiet spell: simpler, slower on pauses mid-sentence
        stop = SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=turn.smart_turn_stop_s)
    return UserTurnStrategies(
        start=[VADUserTurnStartStrategy(enable_interruptions=turn.allow_interruptions)],
        stop=[stop],
    )
