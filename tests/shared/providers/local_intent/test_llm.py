"""LocalIntentLLMService inside real Pipecat pipelines: frames, metrics, tools, end_call."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any, cast

import pytest
from pipecat.frames.frames import (
    Frame,
    FunctionCallInProgressFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMMessagesAppendFrame,
    LLMServiceMetadataFrame,
    LLMTextFrame,
    MetricsFrame,
)
from pipecat.metrics.metrics import (
    LLMUsageMetricsData,
    ProcessingMetricsData,
    TTFBMetricsData,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.types import is_given

from shared import scenarios
from shared.providers import registry
from shared.providers.local_intent.llm import LocalIntentLLMService, create, preload
from shared.providers.spec import ProviderContext, ProviderSpec
from shared.scenarios.base import END_CALL, Scenario

TODAY = date(2026, 11, 5)
SPEC = ProviderSpec(kind="llm", name="local-intent")


class Recorder(FrameProcessor):
    """Passes every frame on and remembers the downstream ones the LLM produced."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.DOWNSTREAM:
            self.frames.append(frame)
        await self.push_frame(frame, direction)

    def texts(self) -> list[str]:
        return [f.text for f in self.frames if isinstance(f, LLMTextFrame)]


class Tools:
    """Handlers registered the way the pipeline does: scenario tools run for real, end_call."""

    def __init__(self, llm: LocalIntentLLMService, scenario: Scenario) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.results: list[dict[str, Any]] = []
        self._scenario = scenario
        for tool in scenario.tools:
            llm.register_function(tool.name, self._run)
        llm.register_function(END_CALL, self._end)

    async def _run(self, params: FunctionCallParams) -> None:
        self.calls.append((params.function_name, dict(params.arguments)))
        result = await self._scenario.tool(params.function_name).invoke(params.arguments)
        self.results.append(result)
        await params.result_callback(result)

    async def _end(self, params: FunctionCallParams) -> None:
        self.calls.append((params.function_name, dict(params.arguments)))
        await params.result_callback({"ended": True})


def opening(scenario: Scenario) -> LLMContext:
    """The context as the pipeline seeds it: system prompt and the spoken greeting."""
    return LLMContext(
        messages=[
            {"role": "system", "content": scenario.prompt},
            {"role": "assistant", "content": scenario.greeting},
        ],
        tools=scenario.tools_schema(),
    )


async def converse(
    name: str, turns: list[str], today: date = TODAY
) -> tuple[Recorder, Tools, LLMContext]:
    """Caller turns through user aggregator -> LLM -> assistant aggregator, tools registered."""
    scenario = scenarios.get(name)
    context = opening(scenario)
    pair = LLMContextAggregatorPair(context)
    llm = LocalIntentLLMService(scenario=scenario, today=lambda: today)
    tools, recorder = Tools(llm, scenario), Recorder()
    frames: list[Frame] = []
    for turn in turns:
        frames += [
            LLMMessagesAppendFrame(messages=[{"role": "user", "content": turn}], run_llm=True),
            SleepFrame(0.4),  # the tool round trip takes ~20 ms; turns must not overlap
        ]
    await run_test(Pipeline([pair.user(), llm, recorder, pair.assistant()]), frames_to_send=frames)
    return recorder, tools, context


async def test_a_triaged_problem_is_ticketed_through_the_pipeline() -> None:
    problem = "The conference is currently locked and cannot be joined."
    recorder, tools, context = await converse("support_desk", [problem, "5 5"])

    assert tools.calls == [
        ("open_ticket", {"category": "conference", "extension": "55", "summary": problem})
    ]
    ticket = tools.results[0]["ticket_id"]
    asked, answer = recorder.texts()
    assert "extension" in asked
    assert ticket in answer and answer.startswith("I've opened ticket")
    # Pipecat wrote the call and its result into the context, and the reply after them.
    history = cast(list[dict[str, Any]], context.get_messages())
    assert [m["role"] for m in history[-3:]] == ["assistant", "tool", "assistant"]
    assert history[-3]["tool_calls"][0]["function"]["name"] == "open_ticket"
    assert ticket in history[-2]["content"]


async def test_booking_through_the_pipeline_uses_the_fixed_clock() -> None:
    recorder, tools, _ = await converse(
        "clinic_booking",
        ["I'd like to book an appointment for tomorrow at 3 pm", "My name is John Smith"],
    )
    assert tools.calls == [
        ("check_availability", {"date": "2026-11-06", "time": "15:00"}),
        ("book_appointment", {"date": "2026-11-06", "time": "15:00", "name": "John Smith"}),
    ]
    assert (
        recorder.texts()[0] == "Friday, November 6 at 3 pm is free. Can I have your name, please?"
    )
    assert tools.results[-1]["confirmation"] in recorder.texts()[-1]


async def test_a_closed_day_is_checked_and_an_alternative_booked_through_the_pipeline() -> None:
    recorder, tools, _ = await converse(
        "clinic_booking",
        ["I'd like to book an appointment for tomorrow at 3pm.", "3 pm", "My name is John Smith."],
        today=date(2026, 11, 21),  # a Saturday: tomorrow the clinic is closed
    )
    assert tools.calls == [
        ("check_availability", {"date": "2026-11-22", "time": "15:00"}),
        ("book_appointment", {"date": "2026-11-23", "time": "15:00", "name": "John Smith"}),
    ]
    offered, asked, booked = recorder.texts()
    assert offered.startswith("Sorry, we're closed on Sunday, November 22.")
    assert asked == "Sure, Monday, November 23 at 3 pm. Can I have your name, please?"
    assert booked.startswith("You're booked, John Smith: Monday, November 23 at 3 pm.")


async def test_a_check_that_passes_can_book_in_the_same_turn_through_the_pipeline() -> None:
    recorder, tools, _ = await converse(
        "clinic_booking", ["My name is John Smith and I'd like to book tomorrow at 3 pm"]
    )
    assert [name for name, _ in tools.calls] == ["check_availability", "book_appointment"]
    assert recorder.texts() == [
        "You're booked, John Smith: Friday, November 6 at 3 pm. "
        f"Your confirmation code is {tools.results[-1]['confirmation']}."
    ]


async def test_goodbye_is_spoken_before_end_call_and_nothing_follows_it() -> None:
    recorder, tools, _ = await converse("support_desk", ["Bye, thanks"])
    assert tools.calls == [(END_CALL, {"reason": "caller said goodbye"})]
    assert recorder.texts() == ["Thanks for calling Acme Voice. Goodbye!"]
    kinds = [type(f) for f in recorder.frames]
    assert kinds.index(LLMTextFrame) < kinds.index(FunctionCallInProgressFrame)
    # The end_call result runs the LLM once more: an empty response.
    assert kinds.count(LLMFullResponseStartFrame) == 2


async def responses(scenario: Scenario, messages: list[dict[str, Any]]) -> list[Frame]:
    llm = LocalIntentLLMService(scenario=scenario, today=lambda: TODAY)
    frame = LLMContextFrame(context=LLMContext(messages=messages))  # type: ignore[arg-type]
    down, _ = await run_test(
        llm,
        frames_to_send=[frame],
        pipeline_params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
    )
    return [f for f in down if not isinstance(f, LLMServiceMetadataFrame)]  # sent at start


async def test_a_turn_is_one_response_with_ttfb_processing_and_usage_metrics() -> None:
    scenario = scenarios.get("support_desk")
    down = await responses(scenario, [{"role": "user", "content": "What are your opening hours?"}])
    content = [f for f in down if not isinstance(f, MetricsFrame)]
    assert [type(f) for f in content] == [
        LLMFullResponseStartFrame,
        LLMTextFrame,
        LLMFullResponseEndFrame,
    ]
    assert isinstance(content[1], LLMTextFrame) and content[1].text.startswith("We're open")
    metrics = [d for f in down if isinstance(f, MetricsFrame) for d in f.data]
    assert any(isinstance(d, TTFBMetricsData) for d in metrics)
    assert any(isinstance(d, ProcessingMetricsData) for d in metrics)
    usage = [d.value for d in metrics if isinstance(d, LLMUsageMetricsData)]
    assert usage and usage[0].prompt_tokens > 0 and usage[0].completion_tokens > 0


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            [
                {"role": "user", "content": "Where is my order?"},
                {"role": "assistant", "content": "Sure. What's your order number?"},
                {"role": "developer", "content": "The caller is silent. Reprompt them."},
            ],
            "reprompt",
        ),
        ([{"role": "system", "content": "You are a phone assistant."}], "greeting"),
        ([{"role": "user", "content": "   "}], "fallback"),
        ([{"role": "user", "content": [{"type": "text", "text": "Bye, thanks"}]}], "goodbye"),
    ],
)
async def test_the_last_message_decides_the_answer(
    messages: list[dict[str, Any]], expected: str
) -> None:
    scenario = scenarios.get("support_desk")
    text = "".join(
        f.text for f in await responses(scenario, messages) if isinstance(f, LLMTextFrame)
    )
    assert (
        text
        == {
            "reprompt": scenario.reprompt,
            "greeting": scenario.greeting,
            "fallback": scenario.fallback,
            "goodbye": "Thanks for calling Acme Voice. Goodbye!",
        }[expected]
    )


async def test_a_tool_result_in_the_context_is_answered_from_the_template() -> None:
    scenario = scenarios.get("support_desk")
    call = {"id": "call_1", "type": "function"}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Where is order 4512?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    **call,
                    "function": {
                        "name": "get_order_status",
                        "arguments": '{"order_number": "4512"}',
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": '{"order_number": "4512", "found": true, "status": "delivered", '
            '"item": "a headset", "on": "2026-10-28"}',
        },
    ]
    texts = [f.text for f in await responses(scenario, messages) if isinstance(f, LLMTextFrame)]
    assert texts == ["Your order 4512, a headset, was delivered on October 28."]


async def test_an_assistant_message_last_gets_an_empty_response() -> None:
    scenario = scenarios.get("support_desk")
    down = await responses(scenario, [{"role": "assistant", "content": scenario.greeting}])
    assert [type(f) for f in down if not isinstance(f, MetricsFrame)] == [
        LLMFullResponseStartFrame,
        LLMFullResponseEndFrame,
    ]


def test_create_needs_a_scenario() -> None:
    with pytest.raises(ValueError, match="set the bot's scenario"):
        create(SPEC, ProviderContext(sample_rate=8000))


def test_the_provider_registry_builds_it() -> None:
    ctx = ProviderContext(sample_rate=8000, scenario=scenarios.get("clinic_booking"))
    assert isinstance(registry.create(SPEC, ctx), LocalIntentLLMService)


def test_create_reads_the_fixed_clock_from_options() -> None:
    spec = ProviderSpec(kind="llm", name="local-intent", options={"today": "2026-11-05"})
    llm = create(spec, ProviderContext(sample_rate=8000, scenario=scenarios.get("support_desk")))
    assert llm._engine._today() == TODAY
    with pytest.raises(ValueError, match="temperature"):
        create(
            ProviderSpec(kind="llm", name="local-intent", options={"temperature": 0.2}),
            ProviderContext(sample_rate=8000, scenario=scenarios.get("support_desk")),
        )


def test_settings_are_complete_and_name_the_scenario() -> None:
    llm = LocalIntentLLMService(scenario=scenarios.get("clinic_booking"))
    settings = llm.settings
    assert settings.model == "local-intent/clinic_booking"
    assert all(is_given(getattr(settings, f.name)) for f in fields(settings))


def test_preload_embeds_every_scenario() -> None:
    preload(SPEC)
