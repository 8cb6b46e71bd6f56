"""Live: the registry's deepgram (Nova-3) and deepgram-flux against the real Deepgram.

Opt-in (it bills audio): skipped unless ``DEEPGRAM_API_KEY`` is set; ``DEEPGRAM_BASE_URL``
points both at another host (self-hosted, EU). Besides hearing real speech at 8 kHz, it checks
what the fake assumes about Deepgram: Nova answers ``Finalize`` with a final result, Flux ends
the turn with ``EndOfTurn``, and a wrong key is refused at the handshake with a 401.
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
    ProposedUserStoppedSpeakingFrame,
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

KEY = os.environ.get("DEEPGRAM_API_KEY")
RATE = 8000
CLIP = "asterisk-core-en/confbridge-lock-no-join.wav"  # "The conference is currently locked..."

pytestmark = [
    pytest.mark.skipif(not KEY, reason="DEEPGRAM_API_KEY not set: live Deepgram test skipped"),
    # deepgram-sdk 7.17 imports a name websockets 14+ deprecated when it first opens a socket.
    pytest.mark.filterwarnings(
        "ignore:websockets.exceptions.InvalidStatusCode is deprecated:DeprecationWarning"
    ),
]


def deepgram(name: str, key: str) -> FrameProcessor:
    access = ProviderAccess(SecretStr(key), os.environ.get("DEEPGRAM_BASE_URL"))
    return registry.create(
        ProviderSpec(kind="stt", name=name), ProviderContext(sample_rate=RATE, access=access)
    )


def phone_line(speech_dir: Path) -> list[Frame]:
    """The clip and a short silence, in 20 ms frames sent in real time, framed by the VAD."""
    audio = np.concatenate([load_mono(speech_dir / CLIP, RATE), np.zeros(RATE, np.int16)])
    frames: list[Frame] = [VADUserStartedSpeakingFrame()]
    for i in range(0, len(audio), RATE // 50):
        frames += [InputAudioRawFrame(audio[i : i + RATE // 50].tobytes(), RATE, 1)]
        frames += [SleepFrame(0.02)]
    return [*frames, VADUserStoppedSpeakingFrame(stop_secs=0.2), SleepFrame(3.0)]


async def run(stt: FrameProcessor, frames: list[Frame]) -> tuple[list[Frame], list[Frame]]:
    params = PipelineParams(
        audio_in_sample_rate=RATE, enable_metrics=True, enable_usage_metrics=True
    )
    down, up = await run_test(stt, frames_to_send=frames, pipeline_params=params, start_timeout=10)
    return list(down), list(up)


@pytest.mark.parametrize("name", ["deepgram", "deepgram-flux"])
async def test_real_deepgram_hears_8khz_speech(name: str, speech_dir: Path) -> None:
    down, up = await run(deepgram(name, KEY or ""), phone_line(speech_dir))

    assert not [f for f in up if isinstance(f, ErrorFrame)], up
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    heard = " ".join(f.text for f in finals).lower()
    assert "conference" in heard and "locked" in heard, heard
    assert any(f.finalized for f in finals), "Finalize / EndOfTurn must mark a final transcript"
    if name == "deepgram-flux":
        assert any(isinstance(f, ProposedUserStoppedSpeakingFrame) for f in down)
    usage = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    assert sum(m.value.audio_seconds for m in usage if isinstance(m, STTUsageMetricsData)) > 4


@pytest.mark.parametrize("name", ["deepgram", "deepgram-flux"])
async def test_real_deepgram_refuses_a_wrong_key_as_an_authentication_error(name: str) -> None:
    stt = deepgram(name, "not-a-deepgram-key")
    _, up = await run(stt, [InputAudioRawFrame(bytes(320), RATE, 1), SleepFrame(2.0)])

    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and errors[0].category is ErrorCategory.AUTHENTICATION, errors
    assert not stt.is_usable
