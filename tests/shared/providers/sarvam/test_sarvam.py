"""``sarvam`` STT and TTS against a local Sarvam server, in real Pipecat pipelines, at 8 kHz.

The services are Pipecat's, built through the registry as a call builds them; the fake speaks
Sarvam's two sockets, hears with Whisper and speaks with Piper, and records what it was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

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
    TTSStoppedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import STTUsageMetricsData, TTFBMetricsData, TTSUsageMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr

from shared.audio import load_mono
from shared.providers import registry
from shared.providers.local_piper.tts import preload as preload_piper
from shared.providers.local_whisper.model import transcribe
from shared.providers.sarvam import websocket_url
from shared.providers.spec import MissingKeyError, ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.server import serving
from tests.fakes.vendors.sarvam import FakeSarvam
from tests.fakes.vendors.speech import recognize

KEY = "canary-sarvam-unit-2c9b"
WRONG = "canary-wrong-sarvam-d41e"
RATE = 8000
CLIP = "asterisk-core-en/confbridge-lock-no-join.wav"  # "The conference is currently locked..."
GREETING = "Thanks for calling Acme support. How can I help?"


@pytest.fixture(scope="module")
def sarvam() -> Iterator[tuple[FakeSarvam, str]]:
    transcribe(np.zeros(RATE, np.int16), RATE)  # load Whisper and Piper before timing anything
    preload_piper(ProviderSpec(kind="tts", name="local-piper"))
    fake = FakeSarvam(KEY)
    with serving(fake.app()) as url:
        yield fake, url


def build(
    kind: str,
    url: str = "http://127.0.0.1:9",
    key: str = KEY,
    *,
    language: str = "en",
    options: dict[str, object] | None = None,
) -> FrameProcessor:
    spec = ProviderSpec(kind=kind, name="sarvam", options=options or {})
    context = ProviderContext(
        sample_rate=RATE, language=language, access=ProviderAccess(SecretStr(key), url)
    )
    return registry.create(spec, context)


async def run(processor: FrameProcessor, frames: list[Frame]) -> tuple[list[Frame], list[Frame]]:
    params = PipelineParams(
        audio_in_sample_rate=RATE,
        audio_out_sample_rate=RATE,
        enable_metrics=True,
        enable_usage_metrics=True,
    )
    down, up = await run_test(
        processor, frames_to_send=frames, pipeline_params=params, start_timeout=5
    )
    return list(down), list(up)


def settings(service: FrameProcessor) -> Any:
    """The Pipecat settings a service was built with."""
    return cast(Any, service)._settings


def metrics(frames: list[Frame]) -> list[object]:
    return [item for f in frames if isinstance(f, MetricsFrame) for item in f.data]


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


# --- configuration -------------------------------------------------------------------------
def test_one_base_url_serves_both_sockets() -> None:
    assert websocket_url(None, "/text-to-speech/ws") == "wss://api.sarvam.ai/text-to-speech/ws"
    assert (
        websocket_url("http://127.0.0.1:8123/", "/speech-to-text-realtime/ws")
        == "ws://127.0.0.1:8123/speech-to-text-realtime/ws"
    )
    with pytest.raises(ValueError, match="scheme"):
        websocket_url("ftp://example", "/text-to-speech/ws")


@pytest.mark.parametrize(
    ("language", "stt", "tts"),
    [
        ("en", "en-IN", "en-IN"),  # Sarvam's English is Indian English
        ("en-US", "en-IN", "en-IN"),
        ("hi", "hi-IN", "hi-IN"),
        ("ta-IN", "ta-IN", "ta-IN"),
        ("or", "or-IN", "od-IN"),  # Odia: Sarvam's two APIs spell it differently
    ],
)
def test_the_bots_language_becomes_sarvams_code(language: str, stt: str, tts: str) -> None:
    assert settings(build("stt", language=language)).language == stt
    assert settings(build("tts", language=language)).language == tts


@pytest.mark.parametrize("kind", ["stt", "tts"])
def test_languages_sarvam_lacks_options_it_lacks_and_a_missing_key_are_refused(kind: str) -> None:
    with pytest.raises(ValueError, match=f"{kind}:sarvam: Sarvam has no 'fr'"):
        build(kind, language="fr")
    with pytest.raises(ValueError, match=f"{kind}:sarvam: speed: Extra inputs"):
        build(kind, options={"speed": 2})
    spec = ProviderSpec(kind=kind, name="sarvam")
    with pytest.raises(MissingKeyError):
        registry.create(spec, ProviderContext(sample_rate=RATE))


def test_stt_takes_auto_language_and_refuses_rates_sarvam_cannot_hear() -> None:
    auto = build("stt", language="hi", options={"language": "auto"})
    assert settings(auto).language is None  # Sarvam detects each utterance's language
    with pytest.raises(ValueError, match="8 or 16 kHz"):
        registry.create(
            ProviderSpec(kind="stt", name="sarvam"),
            ProviderContext(sample_rate=24000, access=ProviderAccess(SecretStr(KEY))),
        )


# --- on the wire ---------------------------------------------------------------------------
@pytest.mark.slow
async def test_stt_hears_an_utterance_at_8khz_when_the_vad_ends_it(
    sarvam: tuple[FakeSarvam, str], speech_dir: Path
) -> None:
    fake, url = sarvam
    down, up = await run(build("stt", url), utterance(speech_dir))

    assert [f for f in up if isinstance(f, ErrorFrame)] == []
    texts = [f.text for f in down if isinstance(f, TranscriptionFrame)]
    assert len(texts) == 1 and "conference" in texts[0].lower(), texts
    session = fake.stt[-1]
    assert session.authorized
    assert session.query == session.query | {
        "sample_rate": "8000",  # telephone audio, not resampled
        "encoding": "linear16",
        "endpointing": "manual",  # the pipeline's VAD and SmartTurn end turns
        "language_code": "en-IN",
        "model": "saaras:v3-realtime",
    }
    assert session.events[:2] == ["speech_start", "speech_end"] and session.events[-1] == "end"
    assert session.audio_bytes / (2 * RATE) == pytest.approx(4.38, abs=0.1)
    usage = [m for m in metrics(down) if isinstance(m, STTUsageMetricsData)]
    assert sum(m.value.audio_seconds for m in usage) == pytest.approx(4.38, abs=0.1)
    assert any(isinstance(m, TTFBMetricsData) and m.value > 0 for m in metrics(down))


@pytest.mark.slow
async def test_tts_speaks_at_8khz_in_the_bots_voice_and_language(
    sarvam: tuple[FakeSarvam, str],
) -> None:
    fake, url = sarvam
    tts = build("tts", url, options={"voice": "priya", "pace": 1.1})
    down, up = await run(tts, [TTSSpeakFrame(GREETING), SleepFrame(2.0)])

    assert [f for f in up if isinstance(f, ErrorFrame)] == []
    chunks = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert chunks and {f.sample_rate for f in chunks} == {RATE}
    audio = np.frombuffer(b"".join(f.audio for f in chunks), dtype=np.int16)
    heard = (await recognize(audio, RATE)).lower()
    assert "thanks for calling" in heard and "support" in heard, heard
    assert any(isinstance(f, TTSStoppedFrame) for f in down)
    session = fake.tts[-1]
    assert session.authorized
    assert session.query == {"model": "bulbul:v3", "send_completion_event": "true"}
    assert session.config == session.config | {
        "speech_sample_rate": "8000",
        "output_audio_codec": "linear16",
        "target_language_code": "en-IN",
        "speaker": "priya",
        "pace": 1.1,
    }
    assert "".join(session.texts).strip() == GREETING and session.flushes >= 1
    characters = [m for m in metrics(down) if isinstance(m, TTSUsageMetricsData)]
    assert sum(m.value for m in characters) == len(GREETING)
    assert any(isinstance(m, TTFBMetricsData) and m.value > 0 for m in metrics(down))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["stt", "tts"])
async def test_a_wrong_key_is_refused_at_the_handshake_as_an_authentication_error(
    sarvam: tuple[FakeSarvam, str], kind: str
) -> None:
    fake, url = sarvam
    service = build(kind, url, key=WRONG)
    _, up = await run(service, [SleepFrame(0.3)])  # both connect when the pipeline starts

    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and errors[0].category is ErrorCategory.AUTHENTICATION, errors
    assert "401" in errors[0].error
    assert all(WRONG not in f.error for f in errors)
    assert not service.is_usable  # the call's error handler ends the call
    sessions = fake.tts if kind == "tts" else fake.stt
    assert not sessions[-1].authorized
