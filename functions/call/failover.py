"""Provider failover inside a call: the bot's fallbacks take over without hanging up.

Pipecat's ``ServiceSwitcher`` routes a kind's frames to one service at a time; this module adds
what a phone call needs around it, as an entry processor before the switcher and an exit
processor after it:

- **Which errors switch.** Any error from the active service, not only one that leaves it
  unusable: a 500 from the LLM or a dropped STT socket costs the caller a turn either way.
- **Silence is a failure.** A service given work that produces nothing within its timeout (an
  LLM with no first token, a TTS with no first audio) is taken out of the call.
- **The caller's turn survives the switch.** STT: the audio since the last final transcript is
  replayed into the new service, so an utterance cut mid-way is heard in full. LLM: the
  context it failed on is run again. TTS: the text not yet spoken is spoken by the new one.
- **Every switch is recorded** (kind, from, to, why, when) for the call result.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from loguru import logger
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    FunctionCallsStartedFrame,
    InputAudioRawFrame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMTextFrame,
    ManuallySwitchServiceFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSTextFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.service_switcher import ServiceSwitcher, ServiceSwitcherStrategyFailover
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from shared.providers.spec import ProviderKind, ProviderSpec
from shared.results import ProviderSwitch, now

# Audio kept for replay: a caller's turn rarely runs longer; older audio is dropped.
REPLAY_LIMIT_S = 20.0


class AnyErrorFailover(ServiceSwitcherStrategyFailover):
    """Switch away from the active service on any error it reports, to the next usable one."""

    last_error: str = ""

    async def handle_error(self, error: ErrorFrame) -> FrameProcessor | None:
        failed = error.processor or self._active_service
        self.last_error = str(error.error)
        start = self._services.index(self._active_service)
        for offset in range(1, len(self._services)):
            candidate = self._services[(start + offset) % len(self._services)]
            if candidate is not failed and candidate.is_usable:
                return await self._set_active_if_available(candidate)
        logger.error(f"{failed}: failed ({error.error}) and no fallback is left")
        return None


class FailoverGroup:
    """One kind's primary and fallbacks: ``processors()`` goes where the single service went."""

    def __init__(
        self,
        kind: ProviderKind,
        services: Sequence[FrameProcessor],
        specs: Sequence[ProviderSpec],
        first_output_timeout_s: float | None = None,
    ) -> None:
        self.kind = kind
        self.specs = {service: spec for service, spec in zip(services, specs, strict=True)}
        self.switcher = ServiceSwitcher(list(services), strategy_type=AnyErrorFailover)
        self.timeout_s = first_output_timeout_s
        self.switches: list[ProviderSwitch] = []
        self.entry = _Entry(self)
        self.exit = _Exit(self)
        self._previous = self.switcher.strategy.active_service
        self._reason: str | None = None
        self.switcher.strategy.add_event_handler("on_service_switched", self._on_switched)

    def processors(self) -> list[FrameProcessor]:
        return [self.entry, self.switcher, self.exit]

    @property
    def active(self) -> FrameProcessor:
        return self.switcher.strategy.active_service

    async def fail_silent(self) -> None:
        """The active service produced nothing in time: take it out and switch."""
        silent = self.active
        self._reason = f"no output within {self.timeout_s} s"
        await silent.set_usable(False)
        upcoming = [s for s in self.switcher.services if s.is_usable and s is not silent]
        if not upcoming:
            logger.error(f"{silent}: {self._reason} and no fallback is left")
            return
        await self.entry.push_frame(ManuallySwitchServiceFrame(service=upcoming[0]))

    async def _on_switched(self, strategy: AnyErrorFailover, service: FrameProcessor) -> None:
        reason = self._reason or strategy.last_error or "switched"
        self._reason = None
        before, after = self.specs[self._previous], self.specs[service]
        self._previous = service
        self.switches.append(
            ProviderSwitch(
                kind=self.kind,
                from_provider=before.label,
                to_provider=after.label,
                reason=reason,
                at=now(),
            )
        )
        logger.warning(f"{self.kind}: failing over from {before.label} to {after.label}: {reason}")
        await self.entry.recover()


class _Entry(FrameProcessor):
    """Before the switcher: remembers what the active service was given, to hand it on."""

    def __init__(self, group: FailoverGroup) -> None:
        super().__init__(name=f"{group.kind}-failover-entry")
        self.group = group
        self.audio: deque[InputAudioRawFrame] = deque()
        self.audio_s = 0.0
        self.caller_speaking = False
        self.context: LLMContextFrame | None = None
        self.unspoken: list[str] = []
        self._armed = False
        self._generation = 0
        self._watchdogs: set[asyncio.Task[None]] = set()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStartedSpeakingFrame | VADUserStoppedSpeakingFrame):
            self.caller_speaking = isinstance(frame, VADUserStartedSpeakingFrame)
        elif direction == FrameDirection.DOWNSTREAM:
            self._remember(frame)
        await self.push_frame(frame, direction)

    def _remember(self, frame: Frame) -> None:
        kind = self.group.kind
        if kind == "stt" and isinstance(frame, InputAudioRawFrame):
            self.audio.append(frame)
            self.audio_s += _seconds(frame)
            while self.audio_s > REPLAY_LIMIT_S:
                self.audio_s -= _seconds(self.audio.popleft())
        elif kind == "llm" and isinstance(frame, LLMContextFrame):
            self.context = frame
            self.watch()
        elif kind == "tts" and isinstance(frame, InterruptionFrame):
            self.unspoken.clear()
            self.stop_watching()
        elif kind == "tts" and isinstance(frame, TTSSpeakFrame):
            self.unspoken.append(frame.text + " ")
            self.watch()
        elif kind == "tts" and isinstance(frame, LLMTextFrame) and not frame.skip_tts:
            self.unspoken.append(frame.text)
            self.watch()

    def heard(self) -> None:
        """The STT finished a transcript: the audio before it needs no replay."""
        self.audio.clear()
        self.audio_s = 0.0

    def watch(self) -> None:
        """Expect output from the active service within the group's timeout."""
        if self.group.timeout_s is None or self._armed:
            return
        self._armed = True
        self._generation += 1
        task = self.create_task(self._expire(self._generation, self.group.timeout_s))
        self._watchdogs.add(task)
        task.add_done_callback(self._watchdogs.discard)

    def stop_watching(self) -> None:
        self._armed = False

    async def _expire(self, generation: int, timeout_s: float) -> None:
        await asyncio.sleep(timeout_s)
        if self._armed and generation == self._generation:
            self._armed = False
            await self.group.fail_silent()

    async def recover(self) -> None:
        """Hand the new service what the failed one was working on."""
        self.stop_watching()
        if self.group.kind == "stt":
            await self._replay_utterance(self.group.active)
        elif self.group.kind == "llm" and self.context is not None:
            await self.push_frame(self.context)
            self.watch()
        elif self.group.kind == "tts" and self.unspoken:
            text = "".join(self.unspoken).strip()
            self.unspoken.clear()
            await self.push_frame(TTSSpeakFrame(text))
            self.watch()

    async def _replay_utterance(self, service: FrameProcessor) -> None:
        """Give the new STT the caller's audio since the last transcript, framed by VAD.

        Straight into the service: its output filter passes what it makes, and the VAD frames
        (which a segmented STT needs to cut a segment) travel upstream from it, so the turn
        logic downstream never sees them twice. An utterance still under way gets its start
        only; its real end reaches the new service when the caller stops.
        """
        up = FrameDirection.UPSTREAM
        await service.queue_frame(VADUserStartedSpeakingFrame(), up)
        for audio in list(self.audio):
            await service.queue_frame(audio)
        if not self.caller_speaking:
            await service.queue_frame(VADUserStoppedSpeakingFrame(), up)

    async def cleanup(self) -> None:
        self.stop_watching()
        for task in list(self._watchdogs):
            await self.cancel_task(task)
        await super().cleanup()


def _seconds(frame: InputAudioRawFrame) -> float:
    return len(frame.audio) / (2 * frame.sample_rate * frame.num_channels)


class _Exit(FrameProcessor):
    """After the switcher: notices the active service doing its job, and stands down."""

    def __init__(self, group: FailoverGroup) -> None:
        super().__init__(name=f"{group.kind}-failover-exit")
        self.group = group

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        entry, kind = self.group.entry, self.group.kind
        if kind == "stt" and isinstance(frame, TranscriptionFrame):
            entry.heard()
        elif kind == "llm" and isinstance(
            frame, LLMTextFrame | FunctionCallsStartedFrame | LLMFullResponseEndFrame
        ):
            entry.stop_watching()
        elif kind == "tts" and isinstance(frame, TTSAudioRawFrame | TTSTextFrame):
            entry.unspoken.clear()
            entry.stop_watching()
        await self.push_frame(frame, direction)
