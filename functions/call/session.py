"""One call from connect to hang-up: greeting, tools, silence, limits, and its result.

Every way a call can end (the caller hangs up or breaks the protocol, the bot ends it, the
caller stays silent, the maximum duration passes, the pipeline fails) goes through here and
produces a :class:`~shared.results.CallResult`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger
from pipecat.frames.frames import (
    EndFrame,
    ErrorFrame,
    FunctionCallResultProperties,
    TTSSpeakFrame,
)
from pipecat.observers.user_bot_latency_observer import LatencyBreakdown
from pipecat.services.llm_service import FunctionCallParams
from pipecat.workers.runner import WorkerRunner

from functions.call.pipeline import CallPipeline
from functions.call.speech import PLAY_TIMEOUT_S, START_TIMEOUT_S
from functions.call.tools import CallTools
from functions.carriers.base import CLOSE_INTERNAL, CLOSE_NORMAL
from functions.carriers.guard import Ending
from shared.analysis import analyze_call
from shared.calls import CallRequest
from shared.config.bot import BotConfig
from shared.pricing import price_table
from shared.providers.credentials import Credentials
from shared.results import (
    CallResult,
    DisconnectedBy,
    TranscriptTurn,
    TurnLatency,
    now,
)
from shared.scenarios.base import END_CALL_TOOL, Scenario
from shared.webhooks import WebhookClient

if TYPE_CHECKING:
    from functions.call.handoff import AgentHandoff


class CallGuard(Protocol):
    """Where a call records why it ends: a carrier socket's guard, or a LiveKit room's."""

    ending: Ending | None

    def end(self, code: int, reason: str, by: str) -> None: ...


# Errors one processor may report in a call before the call is ended as failed.
ERROR_BUDGET = 3


class CallSession:
    """Drives one :class:`CallPipeline` and records what happened."""

    def __init__(
        self,
        request: CallRequest,
        bot: BotConfig,
        scenario: Scenario,
        call: CallPipeline,
        guard: CallGuard,
        credentials: Credentials,
        webhooks: WebhookClient | None = None,
        handoff: AgentHandoff | None = None,
    ) -> None:
        self.request = request
        self.bot = bot
        self.scenario = scenario
        self.call = call
        self.guard = guard
        self.credentials = credentials
        self.webhooks = webhooks
        self.handoff = handoff
        self.started_at = now()
        self.transcript: list[TranscriptTurn] = []
        self.tools = CallTools(request, bot, scenario, webhooks)
        self.latency: list[TurnLatency] = []
        self._silent_prompts = 0
        self._errors: Counter[str] = Counter()
        self._ending = False
        self._finishing: asyncio.Task[None] | None = None
        self._wire()

    def _wire(self) -> None:
        call, transport = self.call, self.call.transport
        transport.event_handler(call.events.joined)(self._on_connected)
        transport.event_handler(call.events.left)(self._on_disconnected)
        call.user.event_handler("on_user_turn_started")(self._on_user_turn_started)
        call.user.event_handler("on_user_turn_stopped")(self._on_user_turn_stopped)
        call.user.event_handler("on_user_turn_idle")(self._on_user_idle)
        call.assistant.event_handler("on_assistant_turn_stopped")(self._on_bot_turn_stopped)
        call.latency.event_handler("on_latency_breakdown")(self._on_latency)
        call.worker.event_handler("on_pipeline_error")(self._on_pipeline_error)
        for llm in call.llms:  # every fallback answers with the same tools
            self.tools.register(llm)
            llm.register_function(END_CALL_TOOL.name, self._end_call)
        if self.handoff is not None:
            self.handoff.attach(self)

    # --- conversation events -------------------------------------------------------------
    async def _on_connected(self, *_: Any) -> None:
        await self.call.worker.queue_frames([TTSSpeakFrame(self.bot.greeting)])

    async def _on_disconnected(self, *_: Any) -> None:
        self.guard.end(CLOSE_NORMAL, "caller disconnected", "caller")
        await self.call.worker.cancel(reason="caller left")

    async def _on_user_turn_started(self, *_: Any) -> None:
        self._silent_prompts = 0

    async def _on_user_turn_stopped(self, _aggregator: Any, _strategy: Any, message: Any) -> None:
        text = (getattr(message, "content", "") or "").strip()
        if text:
            self.transcript.append(TranscriptTurn(role="caller", text=text, at=now()))

    async def _on_bot_turn_stopped(self, _aggregator: Any, message: Any) -> None:
        text = (getattr(message, "content", "") or "").strip()
        if text:
            self.transcript.append(TranscriptTurn(role="bot", text=text, at=now()))

    async def _on_user_idle(self, *_: Any) -> None:
        if self._ending or (self.handoff is not None and self.handoff.holds_call):
            return
        if self._silent_prompts < self.bot.limits.silence_reprompts:
            self._silent_prompts += 1
            logger.info(f"call {self.request.call_id}: caller silent, reprompting")
            await self.call.worker.queue_frames([TTSSpeakFrame(self.bot.reprompt)])
            return
        await self.hang_up("timeout", "caller silent", unless_caller_speaks=True)

    async def _on_latency(self, _observer: Any, breakdown: LatencyBreakdown) -> None:
        if breakdown.measured_from != "user_silence":
            return
        parts: dict[str, float] = {}
        for part in breakdown.contributions:
            parts[part.key] = parts.get(part.key, 0.0) + part.duration_secs * 1000
        self.latency.append(
            TurnLatency(
                total_ms=breakdown.total_secs * 1000,
                parts_ms=parts,
                ttfb_ms={
                    self.call.usage.label(t.processor): t.duration_secs * 1000
                    for t in breakdown.ttfb
                },
            )
        )

    async def _on_pipeline_error(self, _worker: Any, frame: ErrorFrame) -> None:
        """End the call when a processor can no longer do its job (no fallback took over).

        Pipecat reports a processor's error upstream and keeps running; a service whose
        failure is permanent (rejected credentials, a bad request, or a service that says so)
        is marked unusable and stops being given work, which would leave the caller talking
        to a deaf or mute bot until the maximum duration. Errors a processor carries on from
        (one failed transcription) are logged by Pipecat and the call goes on, until the same
        processor has failed ``ERROR_BUDGET`` times: a service failing turn after turn is as
        good as gone.
        """
        processor = frame.processor
        name = str(processor) if processor is not None else "the pipeline"
        if not frame.fatal and (processor is None or processor.is_usable):
            self._errors[name] += 1
            if self._errors[name] < ERROR_BUDGET:
                return
        logger.error(f"call {self.request.call_id}: {name} failed for good: {frame.error}")
        self.guard.end(CLOSE_INTERNAL, f"internal error: {name} failed", "error")
        await self.call.worker.cancel(reason=f"{name} can no longer do its job")

    # --- tools ------------------------------------------------------------------------------
    async def _end_call(self, params: FunctionCallParams) -> None:
        arguments = dict(params.arguments)
        result = await END_CALL_TOOL.invoke(arguments)
        self.tools.record(END_CALL_TOOL.name, arguments, result)
        # The LLM's goodbye was written just before this call; let it play, then hang up.
        self.call.speech.expect_speech()
        await params.result_callback(result, properties=FunctionCallResultProperties(run_llm=False))
        self._start_finish("bot", "bot ended the call", unless_caller_speaks=True)

    async def hang_up(self, by: DisconnectedBy, reason: str, *, unless_caller_speaks: bool) -> None:
        """Say the bot's goodbye, then end the call once it has played."""
        if self._ending:
            return
        self.transcript.append(TranscriptTurn(role="bot", text=self.bot.goodbye, at=now()))
        self.call.speech.expect_speech()
        await self.call.worker.queue_frames(
            [TTSSpeakFrame(self.bot.goodbye, append_to_context=False)]
        )
        self._start_finish(by, reason, unless_caller_speaks=unless_caller_speaks)

    def _start_finish(self, by: DisconnectedBy, reason: str, *, unless_caller_speaks: bool) -> None:
        """Finish in a task of the session's own: a tool call's task is cancelled on barge-in."""
        if self._ending:
            return
        self._ending = True
        self._finishing = asyncio.create_task(
            self._finish(by, reason, unless_caller_speaks=unless_caller_speaks)
        )

    async def _finish(self, by: DisconnectedBy, reason: str, *, unless_caller_speaks: bool) -> None:
        """End the call once the goodbye has played.

        A caller who speaks over a goodbye was not done: with ``unless_caller_speaks`` the
        hang-up is called off and the conversation goes on.
        """
        logger.info(f"call {self.request.call_id}: ending ({reason})")
        spoken = await self.call.speech.wait_until_spoken()
        if not spoken and unless_caller_speaks:
            logger.info(f"call {self.request.call_id}: caller spoke over the goodbye; going on")
            self._ending = False
            return
        self.guard.end(CLOSE_NORMAL, reason, by)
        await self.call.worker.queue_frame(EndFrame(reason=reason))

    # --- running -------------------------------------------------------------------------
    async def _limit_duration(self) -> None:
        await asyncio.sleep(self.bot.limits.max_duration_s)
        # A caller on hold for, or handed to, an agent is not cut off; the bot leaves on its own.
        while self.handoff is not None and self.handoff.holds_call:
            if self.handoff.state == "joined":
                return
            await asyncio.sleep(0.5)
        await self.hang_up("timeout", "maximum call duration reached", unless_caller_speaks=False)
        # A goodbye that cannot play out (a stuck pipeline) must not keep the call alive.
        await asyncio.sleep(START_TIMEOUT_S + PLAY_TIMEOUT_S + 5)
        await self.call.worker.cancel(reason="maximum call duration")

    async def run(self) -> CallResult:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self.call.worker)
        limiter = asyncio.create_task(self._limit_duration())
        try:
            await runner.run()
        except Exception as error:
            logger.exception(f"call {self.request.call_id}: pipeline failed: {error}")
            self.guard.end(CLOSE_INTERNAL, "internal error", "error")
        finally:
            limiter.cancel()
            if self.handoff is not None:
                await self.handoff.aclose()
            if self._finishing is not None:
                self._finishing.cancel()
        result = self.result()
        try:
            analysis = await analyze_call(self.bot, self.scenario, result, self.credentials)
        except Exception as error:  # a bug in analysis must not cost the call its result
            logger.exception(f"call {self.request.call_id}: analysis failed: {error}")
            return result
        return result.model_copy(update={"analysis": analysis})

    def result(self) -> CallResult:
        ended = now()
        ending = self.guard.ending
        by: DisconnectedBy = ending.by if ending else "error"  # type: ignore[assignment]
        prices = price_table()
        usage, cost = prices.priced(self.call.usage.usage())
        return CallResult(
            call_id=self.request.call_id,
            transport=self.request.transport,
            bot_id=self.bot.id,
            bot_version=self.bot.version,
            tenant=self.bot.tenant,
            from_number=self.request.from_number,
            to_number=self.request.to_number,
            started_at=self.started_at,
            ended_at=ended,
            duration_s=(ended - self.started_at).total_seconds(),
            disconnected_by=by,
            close_code=ending.code if ending else None,
            close_reason=ending.reason if ending else "",
            transcript=self.transcript,
            tool_calls=self.tools.records,
            latency=self.latency,
            usage=usage,
            provider_switches=sorted(
                (switch for group in self.call.failover for switch in group.switches),
                key=lambda switch: switch.at,
            ),
            cost_usd=cost,
            price_table=prices.version,
        )
