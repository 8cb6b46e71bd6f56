"""Real recognition and synthesis behind the vendor fakes, from the offline models.

A fake STT server must answer what the caller really said, or a call through it proves
nothing; a fake TTS server must send real speech, or the caller's ear hears nothing. So the
fakes speak their vendor's protocol on the outside and run Whisper and Piper on the inside.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np

from shared.audio import resample
from shared.providers.local_piper.voice import piper_voice
from shared.providers.local_whisper.model import transcribe


@dataclass
class Utterances:
    """Splits streamed PCM16 into utterances by energy, the way an endpointing STT does.

    ``feed`` returns the utterances that ended (``end_silence_s`` of quiet after speech) as
    int16 arrays; ``speaking`` tells whether an utterance is under way (for interim results).
    """

    sample_rate: int
    threshold_dbfs: float = -40.0
    end_silence_s: float = 0.4
    frame_s: float = 0.02
    _pending: bytearray = field(default_factory=bytearray)
    _speech: list[np.ndarray] = field(default_factory=list)
    _quiet_s: float = 0.0

    @property
    def speaking(self) -> bool:
        return bool(self._speech)

    @property
    def heard(self) -> np.ndarray:
        """The audio of the utterance under way so far."""
        return np.concatenate(self._speech) if self._speech else np.zeros(0, np.int16)

    def feed(self, pcm: bytes) -> list[np.ndarray]:
        self._pending += pcm
        step = int(self.sample_rate * self.frame_s) * 2
        ended: list[np.ndarray] = []
        while len(self._pending) >= step:
            chunk = np.frombuffer(bytes(self._pending[:step]), dtype=np.int16)
            del self._pending[:step]
            rms = float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) or 1e-9
            loud = 20 * np.log10(rms / 32768) > self.threshold_dbfs
            if loud:
                self._speech.append(chunk)
                self._quiet_s = 0.0
            elif self._speech:
                self._speech.append(chunk)
                self._quiet_s += self.frame_s
                if self._quiet_s >= self.end_silence_s:
                    ended.append(self.heard)
                    self._speech, self._quiet_s = [], 0.0
        return ended


async def recognize(pcm16: np.ndarray, sample_rate: int) -> str:
    """What Whisper hears in the audio (off the event loop)."""
    return await asyncio.to_thread(transcribe, pcm16, sample_rate)


def _synthesize(text: str, sample_rate: int) -> bytes:
    voice = piper_voice()
    audio = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text))
    samples = np.frombuffer(audio, dtype=np.int16)
    return resample(samples, voice.config.sample_rate, sample_rate).astype(np.int16).tobytes()


async def synthesize(text: str, sample_rate: int) -> bytes:
    """Piper speech for ``text`` as PCM16 mono at ``sample_rate`` (off the event loop)."""
    return await asyncio.to_thread(_synthesize, text, sample_rate)
