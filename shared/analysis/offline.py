"""Post-call analysis without a language model, from what the call did.

``local-intent`` decides: the intents the caller's turns match, the tools that succeeded and
their arguments (the slots), and how the call ended. Dispositions follow the bot's rules in
order; fields are read from tool arguments and results by name; the summary is a template.
"""

from __future__ import annotations

import asyncio
from typing import Any

from shared.analysis.fields import validated
from shared.config.analysis import ANY_TOOL, AnalysisSettings
from shared.nlu.matcher import Matcher
from shared.providers.local_intent.engine import INTENT_PREFIX, build_matcher
from shared.results import CallAnalysis, CallResult, ToolCallRecord
from shared.scenarios.base import END_CALL, Scenario

ENDINGS = {
    "caller": "The caller hung up",
    "bot": "The bot ended the call",
    "timeout": "The call timed out",
    "error": "The call failed",
    "transfer_to_agent": "The caller was handed to an agent",
    "refused": "The call was refused",
}


class OfflineAnalyzer:
    name = "local-intent"

    def __init__(self, settings: AnalysisSettings, scenario: Scenario) -> None:
        self.settings = settings
        self.scenario = scenario
        self._matcher: Matcher | None = None

    def intents(self, result: CallResult) -> list[str]:
        """The scenario intents the caller's turns match, in the order first heard."""
        self._matcher = self._matcher or build_matcher(self.scenario)
        heard: list[str] = []
        for turn in result.transcript:
            match = self._matcher.match(turn.text) if turn.role == "caller" else None
            if match and match.label.startswith(INTENT_PREFIX):
                heard.append(match.label.removeprefix(INTENT_PREFIX))
        return list(dict.fromkeys(heard))

    def disposition(self, result: CallResult, intents: list[str]) -> str:
        for rule in self.settings.dispositions:
            tools_hit = any(
                (call.name in rule.tools or (ANY_TOOL in rule.tools and call.name != END_CALL))
                and _holds(call.result, rule.result_has)
                for call in _succeeded(result)
            )
            if (
                tools_hit
                or set(rule.intents) & set(intents)
                or result.disconnected_by in rule.ended_by
            ):
                return rule.label
        return self.settings.fallback

    def fields(self, result: CallResult) -> dict[str, Any]:
        wanted = self.settings.fields.get("properties", {})
        found: dict[str, Any] = {}
        for call in _succeeded(result):  # later calls overwrite earlier ones
            answer = call.result if isinstance(call.result, dict) else {}
            for name in wanted:
                if name in call.arguments:
                    found[name] = call.arguments[name]
                elif name in answer:
                    found[name] = answer[name]
        return found

    def summary(self, result: CallResult, intents: list[str]) -> str:
        sentences = []
        if intents:
            sentences.append("The caller wanted: " + ", ".join(_words(i) for i in intents) + ".")
        elif not any(turn.role == "caller" for turn in result.transcript):
            sentences.append("The caller said nothing.")
        for call in _succeeded(result):
            if call.name != END_CALL:
                details = ", ".join(f"{_words(k)} {v}" for k, v in call.arguments.items())
                sentences.append(f"{_words(call.name).capitalize()}: {details or 'done'}.")
        ending = ENDINGS.get(result.disconnected_by, "The call ended")
        sentences.append(f"{ending} after {result.duration_s:.0f} s.")
        return " ".join(sentences)

    async def analyze(self, result: CallResult) -> CallAnalysis:
        intents = await asyncio.to_thread(self.intents, result)
        fields, problems = validated(self.fields(result), self.settings.fields)
        return CallAnalysis(
            disposition=self.disposition(result, intents),
            summary=self.summary(result, intents) if self.settings.summary else None,
            fields=fields,
            analyzer=self.name,
            problems=problems,
        )


def _succeeded(result: CallResult) -> list[ToolCallRecord]:
    return [call for call in result.tool_calls if call.error is None]


def _holds(answer: Any, expected: dict[str, Any]) -> bool:
    """Whether a tool's result carries every expected key with the expected value."""
    return all(isinstance(answer, dict) and answer.get(k) == v for k, v in expected.items())


def _words(name: str) -> str:
    return name.replace("_", " ")
