"""elevenlabs TTS: Pipecat's service, built by the registry, against the fake vendor on 127.0.0.1.

Each test runs the real service in a Pipecat pipeline at 8 kHz; what it sent is read back from
the fake, what it made from the frames that left it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    MetricsFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData, TTSUsageMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr

from shared.providers import registry
from shared.providers.elevenlabs.tts import DEFAULT_VOICE, websocket_url
from shared.providers.spec import MissingKeyError, ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.server import serving
from tests.fakes.vendors.elevenlabs import FakeElevenLabs
from tests.fakes.vendors.speech import recognize

KEY = "xi-canary-5b1d7e"
RATE = 8000
SENTENCE = "Your ticket number is four five one two."


@pytest.fixture
def vendor() -> Iterator[tuple[FakeElevenLabs, str]]:
    fake = FakeElevenLabs(api_key=KEY)
    with serving(fake.app()) as url:
        yield fake, url


def service(url: str | None, key: str | None = KEY, **options: object) -> ElevenLabsTTSService:
    spec = ProviderSpec(kind="tts", name="elevenlabs", options=options)
    access = ProviderAccess(SecretStr(key) if key else None, url)
    built = registry.create(spec, ProviderContext(sample_rate=RATE, access=access))
    assert isinstance(built, ElevenLabsTTSService)
    return built


async def run(tts: ElevenLabsTTSService, frames: list[Frame]) -> tuple[list[Frame], list[Frame]]:
    params = PipelineParams(
        audio_out_sample_rate=RATE, enable_metrics=True, enable_usage_metrics=True
    )
    down, up = await run_test(tts, frames_to_send=frames, pipeline_params=params)
    return list(down), list(up)


def audio_of(frames: Sequence[Frame]) -> np.ndarray:
    audio = [f for f in frames if isinstance(f, TTSAudioRawFrame)]
    assert all(f.sample_rate == RATE and f.num_channels == 1 for f in audio)
    return np.frombuffer(b"".join(f.audio for f in audio), dtype=np.int16)


def test_endpoints_become_websocket_urls() -> None:
    assert websocket_url(None) == "wss://api.elevenlabs.io"
    assert websocket_url("https://api.eu.residency.elevenlabs.io/") == (
        "wss://api.eu.residency.elevenlabs.io"
    )
    assert websocket_url("http://127.0.0.1:9000") == "ws://127.0.0.1:9000"


def test_no_key_and_bad_options_are_refused_when_built() -> None:
    with pytest.raises(MissingKeyError, match="tts:elevenlabs"):
        service(None, key=None)
    with pytest.raises(ValueError, match="xi_api_key"):
        service(None, xi_api_key="from-a-bot")  # keys never come from a bot's options
    with pytest.raises(ValueError, match="speed"):
        service(None, speed=3.0)


async def test_speaks_real_words_at_8khz_with_ttfb_and_characters(
    vendor: tuple[FakeElevenLabs, str],
) -> None:
    fake, url = vendor
    tts = service(url, voice_id="voice-123", stability=0.4, speed=1.1)
    down, _ = await run(tts, [TTSSpeakFrame(SENTENCE), SleepFrame(1.5)])

    [connection] = fake.connections
    assert connection.voice_id == "voice-123"
    assert connection.query["output_format"] == "pcm_8000"
    assert connection.query["model_id"] == "eleven_flash_v2_5"
    assert connection.query["language_code"] == "en"
    opening = next(m for m in connection.messages if "voice_settings" in m)
    assert opening["voice_settings"] == {"stability": 0.4, "speed": 1.1}
    assert fake.texts() == [SENTENCE]
    assert connection.finished and not connection.interrupted  # flushed, then closed

    audio = audio_of(down)
    assert 1.0 < len(audio) / RATE < 5.0
    heard = (await recognize(audio, RATE)).lower()
    assert "ticket" in heard and "number" in heard, heard

    metrics = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    assert [m.value for m in metrics if isinstance(m, TTSUsageMetricsData)] == [len(SENTENCE)]
    ttfb = [m.value for m in metrics if isinstance(m, TTFBMetricsData) and m.value]
    assert ttfb and 0 < ttfb[0] < 3.0


async def test_the_default_voice_and_the_key_in_a_header(
    vendor: tuple[FakeElevenLabs, str],
) -> None:
    fake, url = vendor
    await run(service(url), [TTSSpeakFrame("Hello."), SleepFrame(1.0)])
    [connection] = fake.connections
    assert connection.voice_id == DEFAULT_VOICE
    assert all(KEY not in str(m) for m in connection.messages)  # header only
    assert KEY not in str(connection.query)


async def test_a_wrong_key_is_an_authentication_error_that_retires_the_service(
    vendor: tuple[FakeElevenLabs, str],
) -> None:
    fake, url = vendor
    tts = service(url, key="xi-wrong-key-0000")
    down, up = await run(tts, [TTSSpeakFrame("Hello."), SleepFrame(0.3)])
    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and errors[0].category is ErrorCategory.AUTHENTICATION
    assert "401" in errors[0].error and "xi-wrong-key" not in errors[0].error
    assert not tts.is_usable
    assert fake.denied == [401] and fake.connections == [] and len(audio_of(down)) == 0


async def test_an_interruption_closes_the_context_and_stops_its_audio(
    vendor: tuple[FakeElevenLabs, str],
) -> None:
    """The caller barges in while the LLM is still writing: the open context is closed."""
    fake, url = vendor
    reply: list[Frame] = [LLMFullResponseStartFrame()]
    reply += [LLMTextFrame(f"{SENTENCE} ") for _ in range(4)]
    frames = [*reply, SleepFrame(2.0), InterruptionFrame(), SleepFrame(1.0)]
    down, _ = await run(service(url), frames)

    [connection] = fake.connections
    assert len(connection.interrupted) == 1 and not connection.finished
    assert {"context_id": connection.interrupted[0], "close_context": True} in connection.messages
    assert not any(m.get("flush") for m in connection.messages)
    barge_in = next(i for i, f in enumerate(down) if isinstance(f, InterruptionFrame))
    assert len(audio_of(down[:barge_in])) > 0  # the bot was speaking
    assert len(audio_of(down[barge_in:])) == 0  # and not a sample after the caller spoke


async def test_silent_vendor_takes_text_and_sends_nothing(
    vendor: tuple[FakeElevenLabs, str],
) -> None:
    fake, url = vendor
    fake.silent = True
    down, up = await run(service(url), [TTSSpeakFrame("Hello there."), SleepFrame(0.5)])
    assert fake.texts() == ["Hello there."]
    assert len(audio_of(down)) == 0
    # Pipecat itself notices, after its 3 s stop timeout (a failover acts sooner).
    assert any("completed with no audio" in f.error for f in up if isinstance(f, ErrorFrame))


async def test_refused_connections_are_errors_and_dropped_ones_reconnect(
    vendor: tuple[FakeElevenLabs, str],
) -> None:
    fake, url = vendor
    fake.refuse_status = 503
    _, up = await run(service(url), [TTSSpeakFrame("Hello."), SleepFrame(0.3)])
    refused = [f for f in up if isinstance(f, ErrorFrame)]
    assert refused and refused[0].category is ErrorCategory.SERVER
    assert fake.denied and set(fake.denied) == {503} and fake.connections == []

    fake.refuse_status, fake.drop_after_audio = None, 1
    down, _ = await run(service(url), [TTSSpeakFrame(SENTENCE), SleepFrame(1.0)])
    dropped, *again = fake.connections
    assert dropped.close_code == 1011 and dropped.audio_messages == 1
    assert len(again) == 1  # Pipecat reconnected; the sentence in flight was lost
    assert len(audio_of(down)) / RATE <= 0.3  # the one chunk sent before the drop
