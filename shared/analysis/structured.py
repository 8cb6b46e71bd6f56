"""Post-call analysis by a cloud LLM, answering in the bot's schema (structured output).

Pipecat's ``run_inference`` asks the provider to enforce a JSON Schema (OpenAI
``response_format``, Gemini ``responseSchema``), so the reply parses; it is still validated
here, because a label outside the bot's list or a field outside its schema must never pass.
"""

from __future__ import annotations

import json
from typing import Any

from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.llm_service import LLMService

from shared.analysis.fields import strict, validated
from shared.config.analysis import AnalysisSettings
from shared.results import CallAnalysis, CallResult


class AnalysisFailedError(RuntimeError):
    """The LLM's answer was missing, not JSON, or named a label the bot does not have."""


def instructions(settings: AnalysisSettings, bot_name: str) -> str:
    labels = "\n".join(f"- {d.label}: {d.description}" for d in settings.dispositions)
    summary = "Write a summary of one or two sentences. " if settings.summary else ""
    return (
        f"You analyse a finished phone call between a caller and {bot_name}, an automated "
        f"agent. Choose the one disposition that fits best:\n{labels}\n{summary}"
        "Extract the requested fields only from what was said or done in the call; use null "
        "for anything not stated. Answer in the JSON schema given."
    )


def transcript_text(result: CallResult) -> str:
    """The call as the model reads it: turns and tool calls in time order."""
    events: list[tuple[Any, str]] = [(t.at, f"{t.role}: {t.text}") for t in result.transcript]
    for call in result.tool_calls:
        outcome = call.error or json.dumps(call.result, default=str)
        events.append((call.at, f"tool {call.name}({json.dumps(call.arguments)}) -> {outcome}"))
    lines = [line for _, line in sorted(events, key=lambda event: event[0])]
    lines.append(f"[call ended: {result.disconnected_by}, {result.duration_s:.0f} s]")
    return "\n".join(lines)


def response_schema(settings: AnalysisSettings) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "disposition": {"type": "string", "enum": settings.labels},
        "fields": strict(settings.fields),
    }
    if settings.summary:
        properties["summary"] = {"type": "string"}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


class StructuredAnalyzer:
    """``name`` is how results credit the analysis, e.g. the provider spec's label."""

    def __init__(
        self, settings: AnalysisSettings, llm: LLMService, bot_name: str, name: str
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.bot_name = bot_name
        self.name = name

    async def analyze(self, result: CallResult) -> CallAnalysis:
        context = LLMContext(messages=[{"role": "user", "content": transcript_text(result)}])
        answer = await self.llm.run_inference(
            context,
            system_instruction=instructions(self.settings, self.bot_name),
            response_schema=response_schema(self.settings),
        )
        try:
            parsed = json.loads(answer or "")
        except ValueError:
            raise AnalysisFailedError(f"{self.name}: the answer is not JSON") from None
        if not isinstance(parsed, dict) or parsed.get("disposition") not in self.settings.labels:
            raise AnalysisFailedError(f"{self.name}: no disposition among the bot's labels")
        raw_fields = parsed.get("fields")
        fields, problems = validated(
            raw_fields if isinstance(raw_fields, dict) else {}, self.settings.fields
        )
        summary = parsed.get("summary") if self.settings.summary else None
        return CallAnalysis(
            disposition=parsed["disposition"],
            summary=summary if isinstance(summary, str) else None,
            fields=fields,
            analyzer=self.name,
            problems=problems,
        )
