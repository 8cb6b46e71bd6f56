"""``deepgram-flux``: a bot's spec on Flux's wire, and Flux's turns taking the caller's turn.

Pipecat's ``DeepgramFluxSTTService`` talks to the local Deepgram's ``/v2/listen``; with the
bot's turn strategies (``functions/call/turns.py``) behind it, Flux's ``StartOfTurn`` opens
the caller's turn and interrupts the bot, and ``EndOfTurn`` closes it with the transcript,
with no VAD in the pipeline at all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    LLMContextFrame,
    MetricsFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    STTMetadataFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import STTUsageMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.services.deepgram.flux.stt import DeepgramFluxSTTService
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies
from pipecat.utils.errors import ErrorCategory

from functions.call.turns import SegmentAwareStopStrategy, turn_strategies
from shared.config.bot import BotConfig
from shared.providers import registry
from shared.providers.deepgram.flux import listen_url
from shared.providers.spec import ProviderSpec
from tests.fakes.vendors.deepgram import FLUX_PATH, FakeDeepgram
from tests.shared.providers.deepgram.stream import KEY, PARAMS, audio, context, silence

Served = tuple[FakeDeepgram, str]
FLUX: dict[str, Any] = {"kind": "stt", "name": "deepgram-flux"}


def flux(
    url: str | None, key: str | None = KEY, bot_language: str = "en", **spec: Any
) -> DeepgramFluxSTTService:
    spec_ = ProviderSpec.model_validate(FLUX | spec)
    service = registry.create(spec_, context(url, key, bot_language))
    assert isinstance(service, DeepgramFluxSTTService)
    return service


def bot(stt: dict[str, Any], **turn: Any) -> BotConfig:
    return BotConfig.model_validate(
        {
            "id": "b",
            "name": "B",
            "scenario": "support_desk",
            "greeting": "Hi.",
            "stt": stt,
            "turn": turn,
        }
    )


def test_the_listen_url_is_under_the_tenants_base_url() -> None:
    assert listen_url(None) == "wss://api.deepgram.com/v2/listen"
    assert listen_url("http://127.0.0.1:9") == "ws://127.0.0.1:9/v2/listen"
    assert listen_url("https://dg.internal/proxy/") == "wss://dg.internal/proxy/v2/listen"
    assert listen_url("dg.eu.example") == "wss://dg.eu.example/v2/listen"
    with pytest.raises(ValueError, match="unsupported URL scheme 'ftp'"):
        listen_url("ftp://dg.internal")


async def test_the_bots_options_and_the_calls_rate_are_what_flux_is_asked_for(
    deepgram: Served,
) -> None:
    fake, url = deepgram
    options = {"eot_threshold": 0.8, "eot_timeout_ms": 3000, "keyterms": ["Acme"], "tag": "acme"}
    service = flux(url, options=options)
    await run_test(service, frames_to_send=audio(silence(0.1)), pipeline_params=PARAMS)
    [session] = fake.accepted(FLUX_PATH)
    assert session.key == KEY
    assert {name: session.param(name) for name in ("model", "sample_rate", "encoding")} == {
        "model": "flux-general-en",
        "sample_rate": "8000",
        "encoding": "linear16",
    }
    assert (session.param("eot_threshold"), session.param("eot_timeout_ms")) == ("0.8", "3000")
    assert (session.params["keyterm"], session.params["tag"]) == (["Acme"], ["acme"])


async def test_a_multilingual_flux_is_hinted_with_the_bots_language(deepgram: Served) -> None:
    fake, url = deepgram
    service = flux(url, bot_language="hi", model="flux-general-multi")
    await run_test(service, frames_to_send=audio(silence(0.1)), pipeline_params=PARAMS)
    [session] = fake.accepted(FLUX_PATH)
    assert session.params["language_hint"] == ["hi"]


def test_options_flux_cannot_honour_are_refused() -> None:
    with pytest.raises(ValueError, match="flux-general-en is English only"):
        flux("http://127.0.0.1:9", bot_language="hi")
    with pytest.raises(ValueError, match="language_hints need model flux-general-multi"):
        flux("http://127.0.0.1:9", options={"language_hints": ["en"]})
    with pytest.raises(ValueError, match=r"unknown option\(s\) eager_eot_threshold"):
        flux("http://127.0.0.1:9", options={"eager_eot_threshold": 0.4})


async def test_flux_turns_become_proposed_turns_with_the_final_transcript(
    deepgram: Served, speech: np.ndarray
) -> None:
    _, url = deepgram
    frames = [*audio(speech), *audio(silence(0.8)), SleepFrame(2)]
    down, up = await run_test(flux(url), frames_to_send=frames, pipeline_params=PARAMS)

    assert not [f for f in up if isinstance(f, ErrorFrame)]
    kinds = [
        type(f)
        for f in down
        if isinstance(
            f,
            ProposedUserStartedSpeakingFrame
            | ProposedUserStoppedSpeakingFrame
            | TranscriptionFrame
            | InterimTranscriptionFrame,
        )
    ]
    assert kinds == [
        ProposedUserStartedSpeakingFrame,
        InterimTranscriptionFrame,
        TranscriptionFrame,
        ProposedUserStoppedSpeakingFrame,
    ]
    [final] = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert final.finalized and "young man" in final.text.lower()
    [usage] = [
        d
        for f in down
        if isinstance(f, MetricsFrame)
        for d in f.data
        if isinstance(d, STTUsageMetricsData)
    ]
    assert usage.model == "flux-general-en" and usage.value.audio_seconds >= len(speech) / 8000
    # Flux recommends leaving turns to it; the bot's strategies do so explicitly.
    [metadata] = [f for f in down if isinstance(f, STTMetadataFrame)]
    assert isinstance(metadata.user_turn_strategies, ExternalUserTurnStrategies)


async def test_flux_takes_the_callers_turn_and_barges_in_without_vad(
    deepgram: Served, speech: np.ndarray
) -> None:
    _, url = deepgram
    strategies = turn_strategies(bot(FLUX))
    user, _ = LLMContextAggregatorPair(
        LLMContext(), user_params=LLMUserAggregatorParams(user_turn_strategies=strategies)
    )
    stopped: list[str] = []

    @user.event_handler("on_user_turn_stopped")
    async def _stopped(_aggregator: Any, _strategy: Any, message: Any) -> None:
        stopped.append(message.content)

    frames = [*audio(speech), *audio(silence(0.8)), SleepFrame(2)]
    down, _ = await run_test(
        Pipeline([flux(url), user]), frames_to_send=frames, pipeline_params=PARAMS
    )
    turn = [
        type(f)
        for f in down
        if isinstance(f, UserStartedSpeakingFrame | InterruptionFrame | UserStoppedSpeakingFrame)
    ]
    assert turn == [UserStartedSpeakingFrame, InterruptionFrame, UserStoppedSpeakingFrame]
    assert len(stopped) == 1 and "young man" in stopped[0].lower()
    [asked] = [f for f in down if isinstance(f, LLMContextFrame)]
    assert "young man" in str(asked.context.get_messages()[-1]["content"]).lower()


def test_the_bots_interruption_setting_holds_and_other_stts_keep_vad_and_smart_turn() -> None:
    quiet = turn_strategies(bot(FLUX, allow_interruptions=False))
    assert isinstance(quiet, ExternalUserTurnStrategies) and not quiet.enable_interruptions
    nova = turn_strategies(bot({"kind": "stt", "name": "deepgram"}))
    assert not isinstance(nova, ExternalUserTurnStrategies)
    assert nova.stop and isinstance(nova.stop[0], SegmentAwareStopStrategy)


async def test_a_wrong_key_is_refused_clearly_and_the_service_gives_up(deepgram: Served) -> None:
    fake, url = deepgram
    service = flux(url, key="dg-wrong-key")
    _, up = await run_test(
        service, frames_to_send=[*audio(silence(0.1)), SleepFrame(0.2)], pipeline_params=PARAMS
    )
    [error] = [f for f in up if isinstance(f, ErrorFrame)]
    assert error.category is ErrorCategory.AUTHENTICATION
    assert error.error == "Deepgram refused the connection (HTTP 401): Invalid credentials."
    assert not service.is_usable
    assert [(s.key, s.accepted) for s in fake.sessions] == [("dg-wrong-key", False)]
