"""Live: the registry's elevenlabs TTS against the real vendor, when ``ELEVENLABS_API_KEY`` is set.

Opt-in (it spends characters): skipped without the key. ``ELEVENLABS_BASE_URL`` points it at a
regional host (``https://api.eu.residency.elevenlabs.io``); ``ELEVENLABS_VOICE_ID`` picks a
voice the account has, if the default premade one is not there.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from pipecat.frames.frames import ErrorFrame, MetricsFrame, TTSAudioRawFrame, TTSSpeakFrame
from pipecat.metrics.metrics import TTFBMetricsData, TTSUsageMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import SleepFrame, run_test
from pydantic import SecretStr

from shared.providers import registry
from shared.providers.spec import ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.vendors.speech import recognize

KEY = os.environ.get("ELEVENLABS_API_KEY")
RATE = 8000
TEXT = "Your ticket number is four five one two."

pytestmark = pytest.mark.skipif(
    not KEY, reason="live ElevenLabs test: set ELEVENLABS_API_KEY to run it (it bills characters)"
)


async def test_real_elevenlabs_speaks_at_8khz() -> None:
    voice = os.environ.get("ELEVENLABS_VOICE_ID")
    spec = ProviderSpec(kind="tts", name="elevenlabs", options={"voice_id": voice} if voice else {})
    access = ProviderAccess(SecretStr(KEY or ""), os.environ.get("ELEVENLABS_BASE_URL"))
    tts = registry.create(spec, ProviderContext(sample_rate=RATE, access=access))
    params = PipelineParams(
        audio_out_sample_rate=RATE, enable_metrics=True, enable_usage_metrics=True
    )
    down, up = await run_test(
        tts, frames_to_send=[TTSSpeakFrame(TEXT), SleepFrame(4.0)], pipeline_params=params
    )

    assert not [f for f in up if isinstance(f, ErrorFrame)], up
    frames = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert frames and all(f.sample_rate == RATE for f in frames)
    audio = np.frombuffer(b"".join(f.audio for f in frames), dtype=np.int16)
    assert len(audio) / RATE > 1.0
    heard = (await recognize(audio, RATE)).lower()
    assert "ticket" in heard, heard

    metrics = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    assert [m.value for m in metrics if isinstance(m, TTSUsageMetricsData)] == [len(TEXT)]
    assert any(isinstance(m, TTFBMetricsData) and m.value > 0 for m in metrics)
