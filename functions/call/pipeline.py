"""Assemble one call's Pipecat pipeline from its bot config, through the provider registry.

caller audio -> Silero VAD -> STT -> user turn (SmartTurn v3) -> LLM + tools -> TTS -> carrier
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from fastapi import WebSocket
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMAssistantAggregator,
    LLMContextAggregatorPair,
    LLMUserAggregator,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.services.llm_service import LLMService
from pipecat.transports.base_transport import BaseTransport
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

from functions.call.failover import FailoverGroup
from functions.call.recorder import CallRecorder
from functions.call.speech import BotSpeechObserver
from functions.call.turns import turn_strategies
from functions.call.usage import UsageObserver
from shared.config.bot import KINDS, BotConfig, TurnTaking
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.providers.spec import ProviderKind
from shared.scenarios.base import Scenario
from shared.webhooks import function_schema


@dataclass
class CallPipeline:
    """The running parts of one call that the session drives and listens to."""

    worker: PipelineWorker
    transport: BaseTransport
    events: CallerEvents
    context: LLMContext
    llms: list[LLMService]  # the primary, then its fallbacks
    user: LLMUserAggregator
    assistant: LLMAssistantAggregator
    latency: UserBotLatencyObserver
    speech: BotSpeechObserver
    usage: UsageObserver
    failover: list[FailoverGroup]
    recorder: CallRecorder | None


def vad_analyzer(turn: TurnTaking, sample_rate: int) -> SileroVADAnalyzer:
    params = VADParams(
        confidence=turn.vad_confidence,
        start_secs=turn.vad_start_s,
        stop_secs=turn.vad_stop_s,
        min_volume=turn.vad_min_volume,
    )
    return SileroVADAnalyzer(sample_rate=sample_rate, params=params)


@dataclass(frozen=True)
class CallerEvents:
    """The transport's event names for the caller arriving and leaving.

    Transports name them differently (a carrier socket or a browser connects as a "client",
    a LiveKit caller joins a room as a "participant"); the session only needs the two.
    """

    joined: str = "on_client_connected"
    left: str = "on_client_disconnected"


def carrier_transport(
    websocket: WebSocket, serializer: FrameSerializer, sample_rate: int
) -> FastAPIWebsocketTransport:
    """The transport of a carrier media WebSocket, in and out at the carrier's rate."""
    return FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=serializer,
            audio_in_sample_rate=sample_rate,
            audio_out_sample_rate=sample_rate,
            # Carriers send no Origin header: origin checks are for browsers.
            allowed_origins=[],
        ),
    )


def build_pipeline(
    bot: BotConfig,
    scenario: Scenario,
    transport: BaseTransport,
    sample_rate: int,
    credentials: Credentials,
    events: CallerEvents = CallerEvents(),
) -> CallPipeline:
    """Build (not start) the pipeline for one call on any transport: carrier socket,
    LiveKit room or browser."""
    services: dict[ProviderKind, list[FrameProcessor]] = {
        kind: [
            registry.create(spec, credentials.context(bot, spec, sample_rate, scenario))
            for spec in bot.providers(kind)
        ]
        for kind in KINDS
    }
    failover = [
        FailoverGroup(kind, chain, bot.providers(kind), bot.fallbacks.first_output_timeout_s(kind))
        for kind, chain in services.items()
        if len(chain) > 1
    ]
    stage = {group.kind: group.processors() for group in failover}
    stt, llm, tts = (stage.get(kind, services[kind]) for kind in KINDS)
    llms = [cast(LLMService, service) for service in services["llm"]]

    built_in = {tool.name for tool in scenario.tools}
    tools = scenario.tools_schema()
    tools.standard_tools.extend(
        function_schema(webhook) for webhook in bot.webhooks if webhook.name not in built_in
    )
    context = LLMContext(
        messages=[{"role": "system", "content": bot.prompt or scenario.prompt}], tools=tools
    )
    user, assistant = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            vad_analyzer=vad_analyzer(bot.turn, sample_rate),
            user_turn_strategies=turn_strategies(bot),
            user_idle_timeout=bot.limits.silence_timeout_s,
        ),
    )
    latency = UserBotLatencyObserver()
    speech = BotSpeechObserver()
    usage = UsageObserver(
        {
            service.name: spec
            for kind in KINDS
            for service, spec in zip(services[kind], bot.providers(kind), strict=True)
        }
    )
    recorder = CallRecorder(sample_rate) if bot.recording else None
    # After the output transport, which passes bot audio on as the caller hears it.
    recording = [recorder.processor] if recorder else []
    pipeline = Pipeline(
        [transport.input(), *stt, user, *llm, *tts, transport.output(), *recording, assistant]
    )
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(
            audio_in_sample_rate=sample_rate,
            audio_out_sample_rate=sample_rate,
            enable_metrics=True,
            enable_usage_metrics=True,
        ),
        observers=[latency, speech, usage],
        enable_rtvi=False,
        # The session enforces the bot's own limits; the worker must not cut a quiet call.
        idle_timeout_secs=None,
    )
    return CallPipeline(
        worker=worker,
        transport=transport,
        events=events,
        context=context,
        llms=llms,
        user=user,
        assistant=assistant,
        latency=latency,
        speech=speech,
        usage=usage,
        failover=failover,
        recorder=recorder,
    )
