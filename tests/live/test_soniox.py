"""Live: the registry's soniox STT against the real Soniox, when ``SONIOX_API_KEY`` is set.

Opt-in (it bills audio): skipped without the key. ``SONIOX_BASE_URL`` points it at a regional
host (``https://stt-rt.eu.soniox.com``). Besides hearing real speech at 8 kHz, it checks what
the fake assumes about Soniox: a wrong key is answered with a 401 error response.
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
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import STTUsageMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr

from shared.audio import load_mono
from shared.providers import registry
from shared.providers.spec import ProviderAccess, ProviderContext, ProviderSpec

KEY = os.environ.get("SONIOX_API_KEY")
RATE = 8000
CLIP = "asterisk-core-en/confbridge-lock-no-join.wav"  # "The conference is currently locked..."

pytestmark = pytest.mark.skipif(
    not KEY, reason="live Soniox test: set SONIOX_API_KEY to run it (it bills audio)"
)


def soniox(key: str) -> FrameProcessor:
    access = ProviderAccess(SecretStr(key), os.environ.get("SONIOX_BASE_URL"))
    spec = ProviderSpec(kind="stt", name="soniox")
    return registry.create(spec, ProviderContext(sample_rate=RATE, access=access))


async def run(stt: FrameProcessor, frames: list[Frame]) -> tuple[list[Frame], list[Frame]]:
    params = PipelineParams(
        audio_in_sample_rate=RATE, enable_metrics=True, enable_usage_metrics=True
    )
    down, up = await run_test(stt, frames_to_send=frames, pipeline_params=params, start_timeout=10)
    return list(down), list(up)


async def test_real_soniox_hears_8khz_speech_when_the_vad_ends_it(speech_dir: Path) -> None:
    audio = np.concatenate([load_mono(speech_dir / CLIP, RATE), np.zeros(RATE // 4, np.int16)])
    step = RATE // 50  # 20 ms frames, sent in real time as a phone line would
    frames: list[Frame] = [VADUserStartedSpeakingFrame()]
    for i in range(0, len(audio), step):
        chunk = audio[i : i + step].tobytes()
        frames += [InputAudioRawFrame(chunk, RATE, 1), SleepFrame(0.02)]
    frames += [VADUserStoppedSpeakingFrame(stop_secs=0.2), SleepFrame(3.0)]
    down, up = await run(soniox(KEY or ""), frames)

    assert not [f for f in up if isinstance(f, ErrorFrame)], up
    heard = " ".join(f.text for f in down if isinstance(f, TranscriptionFrame)).lower()
    assert "conference" in heard and "locked" in heard, heard
    usage = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    assert sum(m.value.audio_seconds for m in usage if isinstance(m, STTUsageMetricsData)) > 4


async def test_real_soniox_refuses_a_wrong_key_as_an_authentication_error() -> None:
    stt = soniox("not-a-soniox-key")
    _, up = await run(stt, [InputAudioRawFrame(bytes(320), RATE, 1), SleepFrame(2.0)])

    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and errors[0].category is ErrorCategory.AUTHENTICATION, errors
    assert not stt.is_usable
