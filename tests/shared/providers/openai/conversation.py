"""Drive a cloud LLM service through a real Pipecat pipeline the way a call does.

user aggregator -> LLM -> recorder -> assistant aggregator, over the support desk's context
(system prompt, greeting, tools) with the scenario's real tool handlers and ``end_call``
registered, usage metrics on; and the shipped support desk's post-call analysis through the
service's ``run_inference``. Shared by the OpenAI and Google contract tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    FunctionCallResultProperties,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMMessagesAppendFrame,
    LLMTextFrame,
    MetricsFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData, MetricsData, TTFBMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams, LLMService
from pipecat.tests.utils import SleepFrame, run_test

from shared import scenarios
from shared.analysis.structured import StructuredAnalyzer
from shared.config.analysis import AnalysisSettings
from shared.results import CallAnalysis, CallResult, ToolCallRecord, TranscriptTurn
from shared.scenarios.base import END_CALL
from shared.settings import DEFAULT_BOTS_DIR


class Recorder(FrameProcessor):
    """Passes every frame on and keeps the downstream ones the LLM produced."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.DOWNSTREAM:
            self.frames.append(frame)
        await self.push_frame(frame, direction)


@dataclass
class Conversation:
    replies: list[str]  # one per LLM response, tool-only responses included ("")
    tool_calls: list[tuple[str, dict[str, Any]]]
    tool_results: list[Any]
    metrics: list[MetricsData]
    errors: list[ErrorFrame]
    context: LLMContext
    frames: list[Frame] = field(default_factory=list)

    def usage(self) -> list[LLMUsageMetricsData]:
        return [m for m in self.metrics if isinstance(m, LLMUsageMetricsData)]

    def ttfb(self) -> list[TTFBMetricsData]:
        return [m for m in self.metrics if isinstance(m, TTFBMetricsData) and m.value > 0]


async def converse(llm: LLMService, turns: list[str], pause_s: float = 0.6) -> Conversation:
    """Each caller turn in order, ``pause_s`` apart (a tool round trip fits inside it)."""
    scenario = scenarios.get("support_desk")
    context = LLMContext(
        messages=[
            {"role": "system", "content": scenario.prompt},
            {"role": "assistant", "content": scenario.greeting},
        ],
        tools=scenario.tools_schema(),
    )
    calls: list[tuple[str, dict[str, Any]]] = []
    results: list[Any] = []

    async def run_tool(params: FunctionCallParams) -> None:
        calls.append((params.function_name, dict(params.arguments)))
        results.append(await scenario.tool(params.function_name).invoke(params.arguments))
        await params.result_callback(results[-1])

    async def end_call(params: FunctionCallParams) -> None:
        calls.append((params.function_name, dict(params.arguments)))
        properties = FunctionCallResultProperties(run_llm=False)
        await params.result_callback({"status": "ending"}, properties=properties)

    for tool in scenario.tools:
        llm.register_function(tool.name, run_tool)
    llm.register_function(END_CALL, end_call)
    pair, recorder = LLMContextAggregatorPair(context), Recorder()
    frames: list[Frame] = []
    for turn in turns:
        frames += [
            LLMMessagesAppendFrame(messages=[{"role": "user", "content": turn}], run_llm=True),
            SleepFrame(pause_s),
        ]
    _, up = await run_test(
        Pipeline([pair.user(), llm, recorder, pair.assistant()]),
        frames_to_send=frames,
        pipeline_params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
    )
    replies, text = [], ""
    for frame in recorder.frames:
        if isinstance(frame, LLMFullResponseStartFrame):
            text = ""
        elif isinstance(frame, LLMTextFrame):
            text += frame.text
        elif isinstance(frame, LLMFullResponseEndFrame):
            replies.append(text)
    metrics = [m for f in recorder.frames if isinstance(f, MetricsFrame) for m in f.data]
    errors = [f for f in up if isinstance(f, ErrorFrame)]
    return Conversation(replies, calls, results, metrics, errors, context, recorder.frames)


def finished_call() -> CallResult:
    """A support-desk call as the session records it: a ticket opened for extension 55."""
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    return CallResult(
        call_id="c-1",
        transport="exotel",
        bot_id="support-desk",
        started_at=start,
        ended_at=at(30),
        duration_s=30.0,
        disconnected_by="caller",
        transcript=[
            TranscriptTurn(role="bot", text="Thanks for calling. How can I help?", at=at(1)),
            TranscriptTurn(role="caller", text="The conference is locked.", at=at(4)),
            TranscriptTurn(role="bot", text="What's your extension number?", at=at(6)),
            TranscriptTurn(role="caller", text="Five five.", at=at(9)),
            TranscriptTurn(role="bot", text="I've opened ticket 12345.", at=at(12)),
        ],
        tool_calls=[
            ToolCallRecord(
                name="open_ticket",
                arguments={"category": "conference", "extension": "55", "summary": "locked"},
                result={"ticket_id": "12345", "category": "conference", "extension": "55"},
                at=at(11),
            )
        ],
    )


async def analyze(llm: LLMService, name: str) -> CallAnalysis:
    """The shipped support desk's post-call analysis of :func:`finished_call`, by ``llm``."""
    bot = yaml.safe_load((DEFAULT_BOTS_DIR / "support-desk.yaml").read_text())
    settings = AnalysisSettings.model_validate(bot["analysis"])
    return await StructuredAnalyzer(settings, llm, bot["name"], name).analyze(finished_call())
