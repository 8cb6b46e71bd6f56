"""Structured-output analysis: what the LLM is asked, and what of its answer is believed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings

from shared.analysis.structured import AnalysisFailedError, StructuredAnalyzer, response_schema
from shared.config.analysis import AnalysisSettings
from shared.results import CallResult

FIELDS = {
    "type": "object",
    "properties": {"extension": {"type": "string"}, "callback": {"type": "boolean"}},
    "required": ["extension"],
}


class ScriptedLLM(LLMService):
    """A real ``LLMService`` whose one-shot inference answers from a script."""

    def __init__(self, answer: str | None) -> None:
        super().__init__(settings=LLMSettings(model="scripted", system_instruction=None))
        self.answer = answer
        self.asked: list[dict[str, Any]] = []

    async def run_inference(self, context: LLMContext, **kwargs: Any) -> str | None:
        self.asked.append({"messages": context.get_messages(), **kwargs})
        return self.answer


def settings(**changes: Any) -> AnalysisSettings:
    return AnalysisSettings.model_validate({"fields": FIELDS} | changes)


async def test_the_llm_gets_labels_transcript_and_a_strict_schema(result: CallResult) -> None:
    answer = {
        "disposition": "resolved",
        "summary": "Ticket opened.",
        "fields": {"extension": "55", "callback": None},
    }
    llm = ScriptedLLM(json.dumps(answer))
    analysis = await StructuredAnalyzer(settings(), llm, "Acme", "llm:scripted").analyze(result)
    assert analysis.disposition == "resolved"
    assert analysis.summary == "Ticket opened."
    assert analysis.fields == {"extension": "55"}  # the null means "not stated"
    assert analysis.analyzer == "llm:scripted"
    asked = llm.asked[0]
    assert "- abandoned: The caller hung up" in asked["system_instruction"]
    transcript = asked["messages"][0]["content"]
    assert "caller: It's 55" in transcript
    assert 'tool open_ticket({"category": "voicemail"' in transcript
    assert transcript.endswith("[call ended: caller, 42 s]")
    schema = asked["response_schema"]
    assert schema["properties"]["disposition"]["enum"] == ["resolved", "abandoned", "unresolved"]
    fields = schema["properties"]["fields"]
    assert fields["required"] == ["extension", "callback"]
    assert fields["additionalProperties"] is False
    assert fields["properties"]["callback"] == {"anyOf": [{"type": "boolean"}, {"type": "null"}]}


def test_summary_off_is_not_asked_for() -> None:
    assert "summary" not in response_schema(settings(summary=False))["properties"]


@pytest.mark.parametrize(
    "answer",
    [None, "not json", json.dumps({"disposition": "delighted", "fields": {}}), "[1]"],
)
async def test_answers_outside_the_contract_fail(result: CallResult, answer: str | None) -> None:
    with pytest.raises(AnalysisFailedError):
        await StructuredAnalyzer(settings(), ScriptedLLM(answer), "Acme", "llm:s").analyze(result)


async def test_fields_outside_the_schema_are_dropped_with_reasons(result: CallResult) -> None:
    answer = {"disposition": "unresolved", "summary": "x", "fields": {"extension": 55}}
    llm = ScriptedLLM(json.dumps(answer))
    analysis = await StructuredAnalyzer(settings(), llm, "A", "llm:s").analyze(result)
    assert analysis.fields == {}
    assert analysis.problems == [
        "field extension: dropped, 55 is not of type 'string'",
        "fields: 'extension' is a required property",
    ]
