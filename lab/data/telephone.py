"""A telephone channel for synthetic calls: 8 kHz, 300-3400 Hz, line noise, G.711 mu-law.

Everything is a pure function of its input and a seed, so a regenerated dataset is the
same audio: the noise is seeded, the band limit is a zero-phase FFT mask (no filter state),
and mu-law is the G.711 table computed in numpy (``audioop`` is gone from Python 3.13).
"""

from __future__ import annotations

import numpy as np

from shared.audio import to_float, to_pcm16

RATE = 8000
BAND_HZ = (300.0, 3400.0)
EDGE_HZ = 100.0  # width of the raised-cosine skirts either side of the pass band
_BIAS, _CLIP = 0x84, 32635


def mulaw_encode(pcm16: np.ndarray) -> np.ndarray:
    """int16 samples -> G.711 mu-law bytes (uint8)."""
    x = pcm16.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


def mulaw_decode(codes: np.ndarray) -> np.ndarray:
    """G.711 mu-law bytes -> int16 samples."""
    b = ~codes.astype(np.int32) & 0xFF
    exponent, mantissa = (b >> 4) & 0x07, b & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(b & 0x80, -magnitude, magnitude).astype(np.int16)


def band_limit(samples: np.ndarray, rate: int = RATE, band: tuple[float, float] = BAND_HZ):
    """Float audio kept to ``band`` (raised-cosine skirts ``EDGE_HZ`` wide), zero phase."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    hz = np.fft.rfftfreq(len(samples), 1 / rate)
    low, high = band
    gain = np.ones_like(hz)
    for edge, rising in ((low, True), (high, False)):
        t = np.clip((hz - (edge - EDGE_HZ / 2)) / EDGE_HZ, 0, 1)
        skirt = 0.5 - 0.5 * np.cos(np.pi * t)
        gain *= skirt if rising else 1 - skirt
    return np.fft.irfft(spectrum * gain, n=len(samples)).astype(np.float32)


def power(samples: np.ndarray) -> float:
    return float(np.mean(samples.astype(np.float64) ** 2)) if len(samples) else 0.0


def noise(length: int, level: float, seed: int) -> np.ndarray:
    """White Gaussian noise of power ``level`` (the channel's band limit colours it)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(length) * np.sqrt(level)).astype(np.float32)


def telephone(
    caller: np.ndarray, *, snr_db: float | None, speech_power: float, seed: int
) -> np.ndarray:
    """int16 8 kHz audio as it reaches the bot: plus noise ``snr_db`` below the speech
    (its power measured over speech only, not the silences), band limited, mu-law coded."""
    signal = to_float(caller)
    if snr_db is not None:
        signal = signal + noise(len(signal), speech_power / 10 ** (snr_db / 10), seed)
    return mulaw_decode(mulaw_encode(to_pcm16(band_limit(signal))))
