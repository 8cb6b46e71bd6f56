"""Audio helpers shared by the call path and the lab: PCM16 <-> float, resampling, WAV files."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

PCM16_MAX = 32768.0


@dataclass(frozen=True)
class Pcm:
    """Mono or interleaved 16-bit PCM with its rate."""

    samples: np.ndarray  # int16, shape (n,) or (n, channels)
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])


def to_float(pcm16: bytes | np.ndarray) -> np.ndarray:
    samples = np.frombuffer(pcm16, dtype=np.int16) if isinstance(pcm16, bytes) else pcm16
    return samples.astype(np.float32) / PCM16_MAX


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * PCM16_MAX), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample int16 or float32 mono audio; returns the same dtype it was given."""
    if from_rate == to_rate or len(samples) == 0:
        return samples
    if samples.dtype == np.int16:
        return to_pcm16(soxr.resample(to_float(samples), from_rate, to_rate, quality="HQ"))
    return soxr.resample(samples, from_rate, to_rate, quality="HQ").astype(np.float32)


def read_wav(path: Path | str, *, mono: bool = True) -> Pcm:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        channels = wav.getnchannels()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        rate = wav.getframerate()
    if channels > 1:
        data = data.reshape(-1, channels)
        if mono:
            data = data.mean(axis=1).astype(np.int16)
    return Pcm(data, rate)


def load_mono(path: Path | str, sample_rate: int) -> np.ndarray:
    """A WAV file as mono int16 at ``sample_rate``."""
    pcm = read_wav(path)
    return resample(pcm.samples, pcm.sample_rate, sample_rate)


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples.astype(np.int16).tobytes())
    return buffer.getvalue()


def write_wav(path: Path | str, samples: np.ndarray, sample_rate: int) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(wav_bytes(samples, sample_rate))
    return target


def stereo(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Two mono int16 tracks as one (n, 2) array, the shorter padded with silence."""
    length = max(len(left), len(right))
    out = np.zeros((length, 2), dtype=np.int16)
    out[: len(left), 0] = left
    out[: len(right), 1] = right
    return out


def rms_dbfs(samples: np.ndarray) -> float:
    if len(samples) == 0:
        return -120.0
    value = float(np.sqrt(np.mean(to_float(samples) ** 2)))
    return 20 * float(np.log10(max(value, 1e-6)))
