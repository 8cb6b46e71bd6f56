"""Knowing when the bot has finished speaking, so a call never hangs up over its own goodbye.

Pipecat's TTS services synthesize in a background task: an ``EndFrame`` queued right after the
goodbye text can reach the output transport before the goodbye's audio does, and the caller
hears nothing. The session waits on this observer instead, then ends the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    UserStartedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

# How long a reply may take to start playing, and at most to play, before we stop waiting.
START_TIMEOUT_S = 3.0
PLAY_TIMEOUT_S = 30.0


class BotSpeechObserver(BaseObserver):
    """Tracks whether bot audio is playing, and whether the caller spoke over it."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.silent = asyncio.Event()
        self.silent.set()
        self.caller_spoke = False

    async def on_push_frame(self, data: FramePushed) -> None:
        if isinstance(data.frame, BotStartedSpeakingFrame):
            self.silent.clear()
            self.started.set()
        elif isinstance(data.frame, BotStoppedSpeakingFrame):
            self.silent.set()
        elif isinstance(data.frame, UserStartedSpeakingFrame):
            self.caller_spoke = True

    def expect_speech(self) -> None:
        """Call before queuing speech whose end we will wait for."""
        self.started.clear()
        self.caller_spoke = False

    async def wait_until_spoken(self) -> bool:
        """Wait for the expected speech to start (briefly) and finish (bounded).

        Returns False when the caller spoke over it: they were not done, whatever was said.
        """
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.started.wait(), START_TIMEOUT_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.silent.wait(), PLAY_TIMEOUT_S)
        return not self.caller_spoke
