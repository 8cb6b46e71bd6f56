"""The telephone channel: G.711 mu-law, the 300-3400 Hz band, noise at the SNR asked for."""

from __future__ import annotations

import numpy as np
import pytest

from lab.data.telephone import (
    RATE,
    band_limit,
    mulaw_decode,
    mulaw_encode,
    noise,
    power,
    telephone,
)


def tone(hz: float, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_mulaw_keeps_silence_and_the_sign_with_g711_step_sizes() -> None:
    samples = np.array([0, 1, -1, 100, -100, 1000, 8000, -8000, 32767, -32768], np.int16)
    codes = mulaw_encode(samples)
    assert codes.dtype == np.uint8 and codes[0] == 0xFF  # G.711's positive zero
    back = mulaw_decode(codes).astype(np.int32)
    assert np.all(np.sign(back[3:]) == np.sign(samples[3:].astype(np.int32)))
    # The quantization step grows with the level: about 3% of the value at most.
    loud = np.abs(samples.astype(np.int32)) > 1000
    assert np.all(
        np.abs(back - samples)[loud] <= 0.03 * np.abs(samples.astype(np.int32))[loud] + 16
    )
    assert np.array_equal(mulaw_decode(mulaw_encode(mulaw_decode(codes))), mulaw_decode(codes))


@pytest.mark.parametrize(("hz", "kept"), [(100, False), (1000, True), (3000, True), (3800, False)])
def test_the_band_is_300_to_3400_hz(hz: float, kept: bool) -> None:
    gain = np.sqrt(power(band_limit(tone(hz))) / power(tone(hz)))
    assert gain > 0.99 if kept else gain < 0.01


def test_noise_sits_the_asked_snr_below_the_speech() -> None:
    speech = tone(1000)
    level = power(speech) / 10 ** (20 / 10)
    assert 10 * np.log10(power(speech) / power(noise(len(speech), level, seed=1))) == pytest.approx(
        20, abs=0.2
    )
    pcm = (speech * 32767).astype(np.int16)
    first = telephone(pcm, snr_db=10, speech_power=power(speech), seed=7)
    assert np.array_equal(first, telephone(pcm, snr_db=10, speech_power=power(speech), seed=7))
    assert not np.array_equal(first, telephone(pcm, snr_db=10, speech_power=power(speech), seed=8))
