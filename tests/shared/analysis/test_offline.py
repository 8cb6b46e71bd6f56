"""The offline analyzer decides from intents heard, tools that succeeded, and the ending."""

from __future__ import annotations

from typing import Any

from shared import scenarios
from shared.analysis.offline import OfflineAnalyzer
from shared.config.analysis import AnalysisSettings
from shared.results import CallResult, ToolCallRecord
from tests.shared.analysis.conftest import START, call_result

SUPPORT = scenarios.get("support_desk")
FIELDS = {
    "type": "object",
    "properties": {
        "extension": {"type": "string", "pattern": "^[0-9]{2,6}$"},
        "ticket_id": {"type": "string"},
        "category": {"enum": ["voicemail", "conference"]},
        "order_number": {"type": "string"},
    },
}


def analyzer(**settings: Any) -> OfflineAnalyzer:
    return OfflineAnalyzer(AnalysisSettings.model_validate(settings), SUPPORT)


async def test_defaults_resolve_a_call_whose_tool_succeeded(result: CallResult) -> None:
    analysis = await analyzer().analyze(result)
    assert analysis.disposition == "resolved"
    assert analysis.analyzer == "local-intent"
    assert analysis.summary is not None
    assert "report problem" in analysis.summary
    assert "extension 55" in analysis.summary
    assert analysis.summary.endswith("The caller hung up after 42 s.")


async def test_rules_are_tried_in_order_by_tool_intent_and_ending(result: CallResult) -> None:
    rules = {
        "dispositions": [
            {"label": "order_checked", "description": "order", "tools": ["get_order_status"]},
            {"label": "problem", "description": "problem", "intents": ["report_problem"]},
            {"label": "hung_up", "description": "hang-up", "ended_by": ["caller"]},
            {"label": "other", "description": "anything else"},
        ],
        "fallback": "other",
    }
    assert (await analyzer(**rules).analyze(result)).disposition == "problem"
    silent = call_result(transcript=[], tool_calls=[], disconnected_by="bot")
    assert (await analyzer(**rules).analyze(silent)).disposition == "other"
    hung_up = call_result(transcript=[], tool_calls=[])
    assert (await analyzer(**rules).analyze(hung_up)).disposition == "hung_up"


async def test_a_failed_tool_does_not_count_and_end_call_is_not_a_resolution() -> None:
    failed = ToolCallRecord(
        name="open_ticket", arguments={}, result={"error": "x"}, at=START, error="bad arguments"
    )
    ended = ToolCallRecord(name="end_call", arguments={"reason": "done"}, result={}, at=START)
    for calls in ([failed], [ended]):
        quiet = call_result(transcript=[], tool_calls=calls, disconnected_by="bot")
        assert (await analyzer().analyze(quiet)).disposition == "unresolved"


async def test_silent_caller_is_abandoned_and_summarized_so() -> None:
    silent = call_result(transcript=[], tool_calls=[], disconnected_by="timeout", duration_s=20)
    analysis = await analyzer().analyze(silent)
    assert analysis.disposition == "abandoned"
    assert analysis.summary == "The caller said nothing. The call timed out after 20 s."


async def test_fields_come_from_tool_arguments_and_results_and_are_validated(
    result: CallResult,
) -> None:
    analysis = await analyzer(fields=FIELDS, summary=False).analyze(result)
    assert analysis.fields == {"extension": "55", "ticket_id": "12345", "category": "voicemail"}
    assert analysis.summary is None
    assert analysis.problems == []


async def test_a_field_failing_the_schema_is_dropped_with_the_reason(result: CallResult) -> None:
    wrong = {**FIELDS, "properties": {**FIELDS["properties"], "extension": {"type": "integer"}}}
    analysis = await analyzer(fields=wrong).analyze(result)
    assert "extension" not in analysis.fields
    assert analysis.problems == ["field extension: dropped, '55' is not of type 'integer'"]


async def test_result_has_tells_an_attempt_from_a_success(result: CallResult) -> None:
    rules = {
        "dispositions": [
            {
                "label": "voicemail",
                "description": "d",
                "tools": ["*"],
                "result_has": {"category": "voicemail"},
            },
            {"label": "other", "description": "d", "tools": ["*"]},
        ],
        "fallback": "other",
    }
    assert (await analyzer(**rules).analyze(result)).disposition == "voicemail"
    conference = result.model_copy(deep=True)
    conference.tool_calls[0].result["category"] = "conference"
    assert (await analyzer(**rules).analyze(conference)).disposition == "other"
