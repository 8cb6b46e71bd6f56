"""One call replayed through an LLM service: ``user aggregator -> LLM -> probe -> assistant``.

The context starts as a live call's does (the scenario's prompt and tools, the greeting the
caller heard); each caller turn is appended as the caller's message and the LLM runs. Tools
run for real (the scenarios' backends are deterministic fakes) through Pipecat's function
calling, so the assistant aggregator writes calls and results into the context and runs the
LLM again, exactly as in a call. A turn is over when a response ends that started no call
and every call has its result.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import (
    Frame,
    FunctionCallResultFrame,
    FunctionCallsStartedFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMMessagesAppendFrame,
    LLMTextFrame,
    MetricsFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData, TTFBMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams, LLMService

from lab.runners.pipeline import BackgroundPipeline
from shared.scenarios.base import END_CALL, Scenario
from shared.scenarios.tools import ToolArgumentsError


@dataclass
class TurnRecord:
    """What the LLM did with one caller turn."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    ttft_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    response_s: float = 0.0  # each response from its start to its end, summed (tokens/s)
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False


class Probe(FrameProcessor):
    """After the LLM: collects the turn's text, metrics and call bookkeeping."""

    def __init__(self) -> None:
        super().__init__()
        self.turn = TurnRecord()
        self.done = asyncio.Event()
        self._started = self._results = 0
        self._calling = False
        self._response_began: float | None = None

    def begin(self) -> TurnRecord:
        self.turn, self._calling = TurnRecord(), False
        self.done.clear()
        return self.turn

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.DOWNSTREAM:
            self._note(frame)
        await self.push_frame(frame, direction)

    def _note(self, frame: Frame) -> None:
        turn = self.turn
        if isinstance(frame, LLMFullResponseStartFrame):
            self._response_began = time.perf_counter()
        elif isinstance(frame, LLMTextFrame):
            turn.text += frame.text
        elif isinstance(frame, FunctionCallsStartedFrame):
            self._started += len(frame.function_calls)
            self._calling = True
        elif isinstance(frame, FunctionCallResultFrame):
            self._results += 1
        elif isinstance(frame, MetricsFrame):
            for data in frame.data:
                if isinstance(data, TTFBMetricsData) and turn.ttft_s is None and data.value:
                    turn.ttft_s = data.value
                elif isinstance(data, LLMUsageMetricsData):
                    turn.input_tokens += data.value.prompt_tokens
                    turn.output_tokens += data.value.completion_tokens
        elif isinstance(frame, LLMFullResponseEndFrame):
            if self._response_began is not None:
                turn.response_s += time.perf_counter() - self._response_began
                self._response_began = None
            if not self._calling and self._started == self._results:
                self.done.set()
            self._calling = False


class Replay:
    """One call's pipeline: ``say`` each caller turn, get back what the LLM did."""

    def __init__(self, llm: LLMService, scenario: Scenario, system: str, opening: str) -> None:
        self.scenario = scenario
        self.context = LLMContext(
            messages=[
                {"role": "system", "content": system},
                {"role": "assistant", "content": opening},
            ],
            tools=scenario.tools_schema(),
        )
        pair = LLMContextAggregatorPair(self.context)
        self.probe = Probe()
        for tool in scenario.tools:
            llm.register_function(tool.name, self._run_tool)
        llm.register_function(END_CALL, self._run_tool)
        self.pipeline = BackgroundPipeline(
            [pair.user(), llm, self.probe, pair.assistant()],
            PipelineParams(enable_metrics=True, enable_usage_metrics=True),
            on_error=lambda error: self.probe.turn.errors.append(error),
        )

    async def _run_tool(self, params: FunctionCallParams) -> None:
        arguments = dict(params.arguments)
        self.probe.turn.calls.append({"name": params.function_name, "arguments": arguments})
        if params.function_name == END_CALL:
            await params.result_callback({"status": "ending"})
            return
        try:
            result = await self.scenario.tool(params.function_name).invoke(arguments)
        except (KeyError, ToolArgumentsError) as error:  # as the live session answers
            result = {"error": str(error)}
        await params.result_callback(result)

    async def __aenter__(self) -> Replay:
        await self.pipeline.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.pipeline.stop()

    async def say(self, text: str, timeout_s: float) -> TurnRecord:
        turn = self.probe.begin()
        message: Any = {"role": "user", "content": text}
        await self.pipeline.queue(LLMMessagesAppendFrame(messages=[message], run_llm=True))
        try:
            async with asyncio.timeout(timeout_s):
                await self.probe.done.wait()
        except TimeoutError:
            turn.timed_out = True
        return turn
