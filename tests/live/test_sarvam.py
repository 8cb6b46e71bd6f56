"""Live: the registry's sarvam STT and TTS against the real Sarvam, when ``SARVAM_API_KEY`` is set.

Opt-in (it bills audio and characters; the realtime STT needs Sarvam's beta access): skipped
without the key. ``SARVAM_BASE_URL`` points it elsewhere. Besides recognizing and speaking at
8 kHz, it checks what the fake assumes about Sarvam: a wrong key is refused at the handshake
as an authentication error.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    MetricsFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import STTUsageMetricsData, TTSUsageMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr

from shared.audio import load_mono
from shared.providers import registry
from shared.providers.spec import ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.vendors.speech import recognize

KEY = os.environ.get("SARVAM_API_KEY")
RATE = 8000
CLIP = "asterisk-core-en/confbridge-lock-no-join.wav"  # "The conference is currently locked..."
TEXT = "Your ticket number is four five one two."

pytestmark = pytest.mark.skipif(
    not KEY, reason="live Sarvam test: set SARVAM_API_KEY to run it (it bills audio and text)"
)


def sarvam(kind: str, key: str) -> FrameProcessor:
    access = ProviderAccess(SecretStr(key), os.environ.get("SARVAM_BASE_URL"))
    spec = ProviderSpec(kind=kind, name="sarvam")
    return registry.create(spec, ProviderContext(sample_rate=RATE, access=access))


async def run(service: FrameProcessor, frames: list[Frame]) -> tuple[list[Frame], list[Frame]]:
    params = PipelineParams(
        audio_in_sample_rate=RATE,
        audio_out_sample_rate=RATE,
        enable_metrics=True,
        enable_usage_metrics=True,
    )
    down, up = await run_test(
        service, frames_to_send=frames, pipeline_params=params, start_timeout=10
    )
    return list(down), list(up)


def usage(frames: list[Frame]) -> list[object]:
    return [d for f in frames if isinstance(f, MetricsFrame) for d in f.data]


async def test_real_sarvam_stt_hears_8khz_speech_when_the_vad_ends_it(speech_dir: Path) -> None:
    audio = np.concatenate([load_mono(speech_dir / CLIP, RATE), np.zeros(RATE // 4, np.int16)])
    step = RATE // 50  # 20 ms frames, sent in real time as a phone line would
    frames: list[Frame] = [VADUserStartedSpeakingFrame()]
    for i in range(0, len(audio), step):
        chunk = audio[i : i + step].tobytes()
        frames += [InputAudioRawFrame(chunk, RATE, 1), SleepFrame(0.02)]
    frames += [VADUserStoppedSpeakingFrame(stop_secs=0.2), SleepFrame(4.0)]
    down, up = await run(sarvam("stt", KEY or ""), frames)

    assert not [f for f in up if isinstance(f, ErrorFrame)], up
    heard = " ".join(f.text for f in down if isinstance(f, TranscriptionFrame)).lower()
    assert "conference" in heard, heard
    seconds = [m.value.audio_seconds for m in usage(down) if isinstance(m, STTUsageMetricsData)]
    assert sum(seconds) > 4


async def test_real_sarvam_tts_speaks_at_8khz() -> None:
    down, up = await run(sarvam("tts", KEY or ""), [TTSSpeakFrame(TEXT), SleepFrame(5.0)])

    assert not [f for f in up if isinstance(f, ErrorFrame)], up
    frames = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert frames and all(f.sample_rate == RATE for f in frames)
    audio = np.frombuffer(b"".join(f.audio for f in frames), dtype=np.int16)
    assert len(audio) / RATE > 1.0
    heard = (await recognize(audio, RATE)).lower()
    assert "ticket" in heard, heard
    assert [m.value for m in usage(down) if isinstance(m, TTSUsageMetricsData)] == [len(TEXT)]


@pytest.mark.parametrize("kind", ["stt", "tts"])
async def test_real_sarvam_refuses_a_wrong_key_as_an_authentication_error(kind: str) -> None:
    service = sarvam(kind, "not-a-sarvam-key")
    _, up = await run(service, [SleepFrame(2.0)])

    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and errors[0].category is ErrorCategory.AUTHENTICATION, errors
    assert not service.is_usable
