"""``deepgram`` (Nova-3): a bot's spec on Deepgram's wire, and real speech through the service.

Pipecat's ``DeepgramSTTService`` talks to the local Deepgram (``tests/fakes/vendors``) over
the real listen socket: what the fake was asked for is what Deepgram would be asked for.
"""

from __future__ import annotations

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    InterimTranscriptionFrame,
    MetricsFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import STTUsageMetricsData, TTFBMetricsData
from pipecat.services.deepgram.stt import DeepgramSTTService
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory

from shared.providers import registry
from shared.providers.spec import MissingKeyError, ProviderSpec
from tests.fakes.vendors.deepgram import NOVA_PATH, FakeDeepgram
from tests.shared.providers.deepgram.stream import KEY, PARAMS, audio, context, silence

Served = tuple[FakeDeepgram, str]
# deepgram-sdk 7.17 imports a name websockets 14+ deprecated when it first opens a socket.
pytestmark = pytest.mark.filterwarnings(
    "ignore:websockets.exceptions.InvalidStatusCode is deprecated:DeprecationWarning"
)


def nova(
    url: str | None, key: str | None = KEY, bot_language: str = "en", **options: object
) -> DeepgramSTTService:
    spec = ProviderSpec(kind="stt", name="deepgram", model="nova-3", options=options)
    service = registry.create(spec, context(url, key, bot_language))
    assert isinstance(service, DeepgramSTTService)
    return service


async def connect_once(service: DeepgramSTTService) -> None:
    await run_test(service, frames_to_send=audio(silence(0.1)), pipeline_params=PARAMS)


async def test_the_bots_options_and_the_calls_rate_are_what_deepgram_is_asked_for(
    deepgram: Served,
) -> None:
    fake, url = deepgram
    await connect_once(
        nova(url, keyterms=["Acme", "confbridge"], endpointing=300, smart_format=True)
    )
    [session] = fake.accepted(NOVA_PATH)
    assert session.key == KEY
    assert {name: session.param(name) for name in ("model", "language", "encoding")} == {
        "model": "nova-3",
        "language": "en",
        "encoding": "linear16",
    }
    assert (session.param("sample_rate"), session.param("channels")) == ("8000", "1")
    assert session.params["keyterm"] == ["Acme", "confbridge"]
    assert (session.param("endpointing"), session.param("smart_format")) == ("300", "true")
    assert session.param("interim_results") == "true"


async def test_the_language_is_the_bots_unless_the_options_say_otherwise(deepgram: Served) -> None:
    fake, url = deepgram
    await connect_once(nova(url, bot_language="hi"))
    await connect_once(nova(url, bot_language="en", language="multi"))
    assert [s.param("language") for s in fake.accepted(NOVA_PATH)] == ["hi", "multi"]


def test_options_are_checked_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match=r"unknown option\(s\) endpoint .*known: .*endpointing"):
        nova("http://127.0.0.1:9", endpoint=300)
    with pytest.raises(ValueError, match="keyterms must be a list of phrases"):
        nova("http://127.0.0.1:9", keyterms=[1, 2])
    with pytest.raises(ValueError, match="unknown option"):
        nova("http://127.0.0.1:9", callback="https://elsewhere.example/transcripts")
    with pytest.raises(MissingKeyError, match="stt:deepgram/nova-3: no API key"):
        nova("http://127.0.0.1:9", key=None)


def test_the_tenants_base_url_is_the_only_host_the_key_goes_to() -> None:
    # Pipecat falls back to api.deepgram.com (with a warning) when it cannot use a base URL:
    # with this SDK it can, for plain and TLS URLs alike.
    for base, socket in [
        ("http://127.0.0.1:9", "ws://127.0.0.1:9"),
        ("https://dg.internal:8443", "wss://dg.internal:8443"),
        (None, "wss://api.deepgram.com"),
    ]:
        environment = nova(base)._client._client_wrapper.get_environment()
        assert environment.production == socket


async def test_real_speech_at_8khz_is_transcribed_interim_then_final_on_the_vads_stop(
    deepgram: Served, speech: np.ndarray
) -> None:
    fake, url = deepgram
    frames = [
        VADUserStartedSpeakingFrame(),
        *audio(speech),
        VADUserStoppedSpeakingFrame(stop_secs=0.2),
        *audio(silence(0.3)),
        SleepFrame(2.5),
    ]
    down, up = await run_test(nova(url), frames_to_send=frames, pipeline_params=PARAMS)

    assert not [f for f in up if isinstance(f, ErrorFrame)]
    interim = [f.text for f in down if isinstance(f, InterimTranscriptionFrame)]
    [final] = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert interim and "was not" in final.text.lower() and "young man" in final.text.lower()
    assert final.finalized, "the answer to Finalize ends the turn without waiting"
    metrics = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    [usage] = [d for d in metrics if isinstance(d, STTUsageMetricsData)]
    assert usage.model == "nova-3" and usage.value.audio_seconds >= len(speech) / 8000
    assert [d for d in metrics if isinstance(d, TTFBMetricsData) and d.value > 0]

    [session] = fake.accepted(NOVA_PATH)
    assert session.audio_bytes >= speech.nbytes
    assert session.controls[:1] == ["Finalize"] and session.controls[-1] == "CloseStream"


async def test_a_wrong_key_is_refused_clearly_and_the_service_gives_up(deepgram: Served) -> None:
    fake, url = deepgram
    service = nova(url, key="dg-wrong-key")
    _, up = await run_test(service, frames_to_send=audio(silence(0.1)), pipeline_params=PARAMS)
    [error] = [f for f in up if isinstance(f, ErrorFrame)]
    assert error.category is ErrorCategory.AUTHENTICATION
    assert "status 401" in error.error and "dg-wrong-key" not in error.error
    assert not service.is_usable  # a permanent failure: failover or the session takes over
    assert [(s.key, s.accepted) for s in fake.sessions] == [("dg-wrong-key", False)]


async def test_the_fakes_drop_knob_cuts_the_socket_mid_utterance(
    deepgram: Served, speech: np.ndarray
) -> None:
    # For failover drills: a transient failure Pipecat reports, keeping the service (it
    # reconnects after its backoff).
    fake, url = deepgram
    fake.drop_mid_utterance = True
    service = nova(url)
    frames = [*audio(speech), SleepFrame(0.5)]
    _, up = await run_test(service, frames_to_send=frames, pipeline_params=PARAMS)
    [error] = [f for f in up if isinstance(f, ErrorFrame)]
    assert "1011" in error.error and "dropped mid-utterance" in error.error
    assert service.is_usable
