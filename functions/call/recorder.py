"""Record a whole call as one stereo WAV: caller on the left, bot on the right.

Built on Pipecat's ``AudioBufferProcessor``, which keeps the two tracks aligned in time: before
it appends a caller frame it pads the bot track to the caller's length (and the other way round),
and it fills wall-clock gaps over 200 ms with silence. That alignment only means "as heard on
the line" when the processor sees bot audio *as it is played*, so ``CallRecorder.processor``
goes right after ``transport.output()``: the output transport pushes each bot audio frame
downstream once it has written it to the carrier (paced in real time), and caller audio
(``InputAudioRawFrame``, a system frame) passes through STT, the aggregators and the output
transport unchanged::

    Pipeline([transport.input(), stt, user, llm, tts, transport.output(),
              recorder.processor, assistant])

The recording is finished when the pipeline ends (``EndFrame`` or ``CancelFrame``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
from pipecat.processors.audio.audio_buffer_processor import AudioBufferProcessor

from shared.audio import stereo, wav_bytes


@dataclass(frozen=True)
class Recording:
    """A finished call recording: a 16-bit stereo WAV (left = caller, right = bot)."""

    wav: bytes
    sample_rate: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


OnRecording = Callable[[Recording], Awaitable[None]]


@dataclass
class CallRecorder:
    """Collects a call's audio through an ``AudioBufferProcessor`` and hands back one WAV.

    ``await recorder.wav()`` waits for the call to end; ``on_recording`` (optional) is awaited
    with the ``Recording`` as soon as it exists, from inside the pipeline's end handling, so it
    must be quick (enqueue an upload; do not upload inline).
    """

    sample_rate: int
    on_recording: OnRecording | None = None
    processor: AudioBufferProcessor = field(init=False)
    _caller: list[bytes] = field(init=False, default_factory=list)
    _bot: list[bytes] = field(init=False, default_factory=list)
    _recording: Recording | None = field(init=False, default=None)
    _done: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive: {self.sample_rate}")
        self.processor = AudioBufferProcessor(
            sample_rate=self.sample_rate,
            num_channels=2,
            # 0: keep everything until the end, so the tracks are aligned once, over the call.
            buffer_size=0,
            # Record from the StartFrame: no one has to remember to push a start frame.
            auto_start_recording=True,
        )
        self.processor.add_event_handler("on_track_audio_data", self._on_tracks)
        self.processor.add_event_handler("on_recording_stopped", self._on_stopped)

    @property
    def recording(self) -> Recording | None:
        """The finished recording, or None while the call is still going."""
        return self._recording

    async def wav(self) -> bytes:
        """The whole call as WAV bytes, once the pipeline has ended.

        A pipeline that never started never stops recording either: a caller in a ``finally``
        should bound the wait, ``async with asyncio.timeout(5): await recorder.wav()``.
        """
        await self._done.wait()
        assert self._recording is not None
        return self._recording.wav

    async def _on_tracks(
        self, _processor: AudioBufferProcessor, caller: bytes, bot: bytes, *_: object
    ) -> None:
        # Called once per flush; with buffer_size=0 that is once, at the end of the call. Pipecat
        # runs each handler in its own task, created in order, and this one finishes in its first
        # step, so it has always run before ``_on_stopped`` looks at the chunks.
        self._caller.append(caller)
        self._bot.append(bot)

    async def _on_stopped(self, _processor: AudioBufferProcessor) -> None:
        caller = np.frombuffer(b"".join(self._caller), dtype=np.int16)
        bot = np.frombuffer(b"".join(self._bot), dtype=np.int16)
        self._caller.clear()
        self._bot.clear()
        samples = stereo(caller, bot)
        self._recording = Recording(
            wav_bytes(samples, self.sample_rate), self.sample_rate, len(samples)
        )
        self._done.set()
        if self.on_recording is not None:
            await self.on_recording(self._recording)
