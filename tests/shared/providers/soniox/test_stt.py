"""``soniox`` against a local Soniox server: what goes on the wire, what comes back, at 8 kHz.

The service is Pipecat's, built through the registry as a call builds it, and run in a real
Pipecat pipeline; the fake speaks Soniox's WebSocket protocol and hears with Whisper.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from pipecat.metrics.metrics import STTUsageMetricsData, TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.services.soniox.stt import SonioxSTTService
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr

from shared.audio import load_mono
from shared.providers import registry
from shared.providers.local_whisper.model import transcribe
from shared.providers.soniox.stt import DEFAULT_URL, websocket_url
from shared.providers.spec import MissingKeyError, ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.server import serving
from tests.fakes.vendors.soniox import FakeSoniox

KEY = "canary-soniox-unit-5e1d"
RATE = 8000
CLIP = "asterisk-core-en/confbridge-lock-no-join.wav"  # "The conference is currently locked..."


@pytest.fixture(scope="module")
def soniox() -> Iterator[tuple[FakeSoniox, str]]:
    transcribe(np.zeros(RATE, np.int16), RATE)  # load Whisper before anything is timed
    fake = FakeSoniox(KEY)
    with serving(fake.app()) as url:
        yield fake, url


def service(url: str, key: str = KEY, **options: object) -> FrameProcessor:
    spec = ProviderSpec(kind="stt", name="soniox", options=options)
    access = ProviderAccess(SecretStr(key), url)
    return registry.create(spec, ProviderContext(sample_rate=RATE, access=access))


def utterance(speech_dir: Path) -> list[Frame]:
    """A caller's utterance as the transport and the VAD deliver it: 20 ms frames at 8 kHz."""
    audio = np.concatenate([load_mono(speech_dir / CLIP, RATE), np.zeros(RATE // 4, np.int16)])
    step = RATE // 50
    frames: list[Frame] = [VADUserStartedSpeakingFrame()]
    frames += [
        InputAudioRawFrame(audio=audio[i : i + step].tobytes(), sample_rate=RATE, num_channels=1)
        for i in range(0, len(audio), step)
    ]
    # The VAD decides 0.2 s into the trailing silence (the TTFB clock starts where speech ended).
    return [*frames, VADUserStoppedSpeakingFrame(stop_secs=0.2), SleepFrame(2.0)]


async def run(processor: FrameProcessor, frames: list[Frame]) -> tuple[list[Frame], list[Frame]]:
    params = PipelineParams(
        audio_in_sample_rate=RATE, enable_metrics=True, enable_usage_metrics=True
    )
    down, up = await run_test(
        processor, frames_to_send=frames, pipeline_params=params, start_timeout=5
    )
    return list(down), list(up)


def metrics(frames: list[Frame]) -> list[object]:
    return [item for f in frames if isinstance(f, MetricsFrame) for item in f.data]


def test_the_socket_url_hangs_under_the_tenants_base_url() -> None:
    assert websocket_url(None) == DEFAULT_URL
    assert websocket_url("http://127.0.0.1:8123") == "ws://127.0.0.1:8123/transcribe-websocket"
    assert (
        websocket_url("https://eu.example/soniox/")
        == "wss://eu.example/soniox/transcribe-websocket"
    )
    with pytest.raises(ValueError, match="scheme"):
        websocket_url("ftp://example")


def test_options_are_checked_and_the_key_is_required() -> None:
    with pytest.raises(ValueError, match="stt:soniox: language_hint"):
        service("http://127.0.0.1:9", language_hint=["en"])
    with pytest.raises(ValueError, match="language hint"):
        service("http://127.0.0.1:9", language_hints=["xx-nowhere"])
    spec = ProviderSpec(kind="stt", name="soniox")
    with pytest.raises(MissingKeyError):
        registry.create(spec, ProviderContext(sample_rate=RATE))


@pytest.mark.slow
async def test_an_utterance_at_8khz_is_finalized_on_the_vad_stop(
    soniox: tuple[FakeSoniox, str], speech_dir: Path
) -> None:
    fake, url = soniox
    stt = service(url, context="Acme support desk: conferences, voicemail, extensions.")
    down, up = await run(stt, utterance(speech_dir))

    assert [f for f in up if isinstance(f, ErrorFrame)] == []
    texts = [f.text for f in down if isinstance(f, TranscriptionFrame)]
    assert len(texts) == 1 and "conference" in texts[0].lower(), texts
    assert all(f.finalized for f in down if isinstance(f, TranscriptionFrame))
    session = fake.sessions[-1]
    assert session.authorized and session.finalizes == 1 and session.ended
    assert session.start["sample_rate"] == RATE  # telephone audio, not resampled
    assert session.start["model"] == "stt-rt-v5"
    assert {k: session.start[k] for k in ("audio_format", "num_channels")} == {
        "audio_format": "pcm_s16le",
        "num_channels": 1,
    }
    assert session.start["language_hints"] == ["en"]
    assert session.start["enable_endpoint_detection"] is False  # the pipeline ends turns
    assert "api_key" not in session.start  # the key went in the handshake only
    assert session.audio_seconds == pytest.approx(4.38, abs=0.1)
    usage = [m for m in metrics(down) if isinstance(m, STTUsageMetricsData)]
    assert sum(m.value.audio_seconds for m in usage) == pytest.approx(session.audio_seconds)
    assert any(isinstance(m, TTFBMetricsData) and m.value > 0 for m in metrics(down))


@pytest.mark.slow
async def test_a_wrong_key_is_a_clear_authentication_error(soniox: tuple[FakeSoniox, str]) -> None:
    fake, url = soniox
    wrong = "canary-wrong-soniox-77a0"
    stt = service(url, key=wrong)
    silence = InputAudioRawFrame(audio=bytes(320), sample_rate=RATE, num_channels=1)
    _, up = await run(stt, [silence, SleepFrame(0.5)])

    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and errors[0].category is ErrorCategory.AUTHENTICATION
    assert "401" in errors[0].error and "Invalid API key" in errors[0].error
    assert all(wrong not in f.error for f in errors)
    assert not stt.is_usable  # the call's error handler ends the call
    assert fake.sessions[-1].error == {"error_code": 401, "error_message": "Invalid API key."}


@pytest.mark.slow
async def test_pipecats_own_service_loses_the_reason_which_is_why_it_is_subclassed(
    soniox: tuple[FakeSoniox, str],
) -> None:
    """When this fails, Pipecat reads Soniox's error responses itself: drop ``SonioxSTT``."""
    _, url = soniox
    stt = SonioxSTTService(api_key="canary-wrong-soniox-77a0", url=websocket_url(url))
    silence = InputAudioRawFrame(audio=bytes(320), sample_rate=RATE, num_channels=1)
    _, up = await run(stt, [silence, SleepFrame(0.5)])

    errors = [f.error for f in up if isinstance(f, ErrorFrame)]
    assert errors and all("Invalid API key" not in error for error in errors), errors
