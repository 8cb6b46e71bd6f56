"""``local-intent``: an offline stand-in for an LLM in a Pipecat pipeline (not a language model).

No small instruction-tuned LLM ships in a wheel, so this service answers from the bot's
scenario instead: an intent matcher on a bundled embedding model plus reply templates
(:mod:`shared.providers.local_intent.engine`). To the pipeline it looks like any LLM service:
it reads the ``LLMContext`` on each ``LLMContextFrame``, streams its reply between
``LLMFullResponseStartFrame`` and ``LLMFullResponseEndFrame`` and calls tools through
``run_function_calls``, so Pipecat runs the registered handlers, writes the tool messages into
the context and runs it again, when it answers from the ``role: "tool"`` result.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    Frame,
    FunctionCallFromLLM,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
)
from pipecat.metrics.metrics import LLMTokenUsage
from pipecat.processors.aggregators.llm_context import (
    LLMContext,
    LLMSpecificMessage,
    standard_message_text,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings
from pydantic import BaseModel, ConfigDict

from shared import scenarios
from shared.providers.local_intent.engine import (
    Decision,
    DialogueEngine,
    DialogueState,
    build_matcher,
)
from shared.providers.offline_llm import unsampled
from shared.providers.spec import ProviderContext, ProviderSpec
from shared.scenarios.base import Scenario


@dataclass
class LocalIntentSettings(LLMSettings):
    """No sampling settings apply: the "model" is the scenario's intent engine."""


class LocalIntentLLMService(LLMService):
    """Answers caller turns from a scenario's intents, knowledge and tools, offline.

    One instance serves one call: it keeps the call's dialogue state (the question it is
    waiting on, what its last reply offered) between turns.
    """

    Settings = LocalIntentSettings
    _settings: LocalIntentSettings

    def __init__(
        self, *, scenario: Scenario, today: Callable[[], date] = date.today, **kwargs: Any
    ) -> None:
        super().__init__(
            settings=unsampled(LocalIntentSettings, f"local-intent/{scenario.name}"),
            **kwargs,
        )
        self._engine = DialogueEngine(scenario, today=today)
        self._state = DialogueState()
        # The state before a speculative (eager end-of-turn) response, restored if withdrawn.
        self._before_speculation: DialogueState | None = None

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._respond(frame)
            return
        if isinstance(frame, EagerEndOfTurnCancelFrame) and self._before_speculation is not None:
            self._state, self._before_speculation = self._before_speculation, None
        await self.push_frame(frame, direction)

    async def _respond(self, frame: LLMContextFrame) -> None:
        context = frame.context
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        await self.start_ttfb_metrics()
        try:
            before = self._state
            try:
                # Snapshot on the loop: the aggregators append to the context as they run.
                messages = [
                    m for m in context.get_messages() if not isinstance(m, LLMSpecificMessage)
                ]
                decision = await asyncio.to_thread(self._decide, messages, before)
            except Exception as error:  # a bug in a scenario must not end the call
                await self.push_error(error_msg=f"local-intent failed: {error}", exception=error)
                decision = Decision(self._engine.scenario.fallback, DialogueState())
            await self.stop_ttfb_metrics()
            self._state = decision.state
            self._before_speculation = before if frame.speculation else None
            if decision.text:
                await self._push_llm_text(decision.text)
            await self.start_llm_usage_metrics(_estimated_usage(context, decision))
            if decision.tool_call is not None:
                if frame.speculation:
                    # Pipecat withdraws a speculative turn that calls a tool; the confirmed
                    # turn is decided again from the state before it.
                    self._state = before
                await self.stop_ttfat_metrics()
                await self.run_function_calls(
                    [
                        FunctionCallFromLLM(
                            function_name=decision.tool_call.name,
                            tool_call_id=f"call_{uuid.uuid4().hex[:24]}",
                            arguments=decision.tool_call.arguments,
                            context=context,
                        )
                    ]
                )
        finally:
            await self.stop_processing_metrics()
            await self.push_frame(LLMFullResponseEndFrame())

    def _decide(self, messages: list[Any], state: DialogueState) -> Decision:
        """The engine's decision for the last context message (what an LLM would answer)."""
        if not messages:
            return self._engine.greet(state)
        last = messages[-1]
        role = last.get("role")
        if role == "user":
            return self._engine.respond(state, standard_message_text(last))
        if role == "tool":
            name, arguments = _tool_call(messages, last.get("tool_call_id"))
            return self._engine.after_tool(state, name, arguments, _json(last.get("content")))
        if role in ("system", "developer"):
            spoken = any(m.get("role") in ("user", "assistant") for m in messages)
            return self._engine.reprompt(state) if spoken else self._engine.greet(state)
        return Decision("", state)  # the assistant already spoke last: nothing to add


def _tool_call(messages: list[Any], tool_call_id: object) -> tuple[str, dict[str, Any]]:
    """Name and arguments of the assistant tool call a tool result answers."""
    for message in reversed(messages):
        for call in message.get("tool_calls") or ():
            if call.get("id") == tool_call_id:
                function = call.get("function", {})
                arguments = _json(function.get("arguments") or "{}")
                return function.get("name", ""), arguments if isinstance(arguments, dict) else {}
    return "", {}


def _json(content: Any) -> Any:
    """A tool result as Pipecat stores it (JSON text), decoded; other text is kept as is."""
    if not isinstance(content, str):
        return content
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        return content


def _estimated_usage(context: LLMContext, decision: Decision) -> LLMTokenUsage:
    """Token usage as an LLM would have billed it, estimated at ~4 characters per token.

    No tokenizer runs here and nothing is billed; the estimate keeps usage metrics and cost
    reports comparable in shape with real LLM providers.
    """
    prompt_chars = sum(len(json.dumps(m, default=str)) for m in context.get_messages())
    call = decision.tool_call
    completion_chars = len(decision.text) + (len(json.dumps(call.arguments)) if call else 0)
    prompt, completion = max(1, prompt_chars // 4), max(1, completion_chars // 4)
    return LLMTokenUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


class LocalIntentOptions(BaseModel):
    """``spec.options`` for local-intent: ``today`` fixes the clock (lab replays, tests)."""

    model_config = ConfigDict(extra="forbid")

    today: date | None = None


def create(spec: ProviderSpec, ctx: ProviderContext) -> LocalIntentLLMService:
    if ctx.scenario is None:
        raise ValueError(
            "local-intent answers from a scenario's intents and tools, and this call has none: "
            f"set the bot's scenario (one of: {', '.join(scenarios.names())})"
        )
    options = LocalIntentOptions.model_validate(spec.options)
    fixed = options.today
    return LocalIntentLLMService(
        scenario=ctx.scenario, today=(lambda: fixed) if fixed else date.today
    )


def preload(spec: ProviderSpec) -> None:
    """Load the embedding model and embed every registered scenario's example sentences."""
    for name in scenarios.names():
        build_matcher(scenarios.get(name))
