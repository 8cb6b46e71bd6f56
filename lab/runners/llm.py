"""The LLM runner: each call's caller turns replayed with the scenario's tools.

The conversation so far is the caller's reference turns and the provider's own earlier
replies, tool calls and tool results, as in a live call (``local-intent`` keeps dialogue
state between turns and could not be replayed any other way). Per turn: the tool calls
made against those expected (right function, right arguments: the expected ones, compared
without case and spacing), the time to first token (Pipecat's LLM TTFB, the live path's
``ttfb_ms``) and the answer's length. ``local-intent`` runs offline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any, cast

from pipecat.services.llm_service import LLMService

from lab.data.manifest import Dataset, ExpectedToolCall, ManifestRow
from lab.runners.base import Observation, Runner, RunnerSettings, Sample, Scores
from lab.runners.llm_replay import Replay
from shared import scenarios
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.providers.spec import ProviderContext, ProviderSpec
from shared.results import ProviderUsage
from shared.settings import get_settings

# Providers whose spec options fix their clock, so "Monday" resolves against the call's date.
CLOCK_OPTION = {"local-intent": "today"}


@dataclass(frozen=True)
class LlmSettings(RunnerSettings):
    turn_timeout_s: float = 30.0
    tenant: str = "default"


def _value(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def call_matches(expected: ExpectedToolCall, made: dict[str, Any]) -> bool:
    """Same function, and every expected argument has the same value (case and spacing
    aside); arguments the dataset leaves out (a free-text summary) are not judged."""
    arguments = made.get("arguments") or {}
    return made.get("name") == expected.name and all(
        key in arguments and _value(arguments[key]) == _value(value)
        for key, value in expected.arguments.items()
    )


def system_prompt(row: ManifestRow, prompt: str) -> str:
    """The scenario's prompt, told the call's date when the row has one (a cloud LLM cannot
    resolve "tomorrow" otherwise)."""
    if row.today is None:
        return prompt
    return f"{prompt}\nToday is {row.today:%A, %B} {row.today.day}, {row.today.year}."


class LlmRunner(Runner[ProviderSpec]):
    name = "llm"
    kind = "llm"
    version = 1
    settings_type = LlmSettings
    settings: LlmSettings
    metrics = (
        "tool_accuracy",
        "tool_name_accuracy",
        "ttft_p50_s",
        "ttft_p95_s",
        "tokens_per_s",
        "answer_chars_mean",
        "cost_per_hour_usd",
    )

    def samples(self, dataset: Dataset) -> list[Sample]:
        samples = []
        for row in dataset.rows:
            if row.scenario is None or not row.caller_turns:
                continue
            opening = row.turns[0].text if row.turns[0].role == "bot" else None
            inputs = {
                "scenario": row.scenario,
                "today": row.today.isoformat() if row.today else None,
                "opening": opening,
                "caller": [turn.text for turn in row.caller_turns],
            }
            samples.append(Sample(row.id, row, row.duration_s, inputs))
        return samples

    @asynccontextmanager
    async def worker(self, dataset: Dataset, spec: ProviderSpec) -> AsyncIterator[LlmWorker]:
        yield LlmWorker(self.settings, spec)

    def score(self, sample: Sample, observation: Observation) -> Scores:
        made = cast(list[dict[str, Any]], observation.get("turns", []))
        expected = sample.row.caller_turns
        turns = []
        for index, turn in enumerate(expected):
            record: dict[str, Any] = made[index] if index < len(made) else {}
            calls: list[dict[str, Any]] = record.get("calls", [])
            names_ok = [c.name for c in turn.tool_calls] == [c.get("name") for c in calls]
            calls_ok = names_ok and all(
                call_matches(e, m) for e, m in zip(turn.tool_calls, calls, strict=True)
            )
            turns.append(
                {
                    "expected": len(turn.tool_calls),
                    "made": len(calls),
                    "names_ok": names_ok,
                    "calls_ok": calls_ok,
                    "ttft_s": record.get("ttft_s"),
                    "output_tokens": record.get("output_tokens", 0),
                    "response_s": record.get("response_s", 0.0),
                    "answer_chars": len(record.get("text", "")),
                }
            )
        return {"turns": turns}

    def usage(
        self, sample: Sample, observation: Observation, spec: ProviderSpec
    ) -> list[ProviderUsage]:
        turns = observation.get("turns", [])
        return [
            ProviderUsage(
                kind="llm",
                provider=spec.name,
                model=spec.model,
                input_tokens=sum(t.get("input_tokens", 0) for t in turns),
                output_tokens=sum(t.get("output_tokens", 0) for t in turns),
            )
        ]


class LlmWorker:
    def __init__(self, settings: LlmSettings, spec: ProviderSpec) -> None:
        self.settings, self.spec = settings, spec
        self.credentials = Credentials.from_settings(get_settings())

    def _service_spec(self, row: ManifestRow) -> ProviderSpec:
        option = CLOCK_OPTION.get(self.spec.name)
        if option is None or row.today is None:
            return self.spec
        return self.spec.model_copy(update={"options": {**self.spec.options, option: row.today}})

    async def observe(self, sample: Sample) -> Observation:
        row = sample.row
        assert row.scenario is not None
        scenario = scenarios.get(row.scenario)
        spec = self._service_spec(row)
        access = self.credentials.access(self.settings.tenant, spec)
        ctx = ProviderContext(
            sample_rate=row.sample_rate, language=row.language, scenario=scenario, access=access
        )
        llm = cast(LLMService, registry.create(spec, ctx))
        opening = sample.inputs["opening"] or scenario.greeting
        turns = []
        async with Replay(llm, scenario, system_prompt(row, scenario.prompt), opening) as replay:
            for text in sample.inputs["caller"]:
                turns.append(asdict(await replay.say(text, self.settings.turn_timeout_s)))
        return {"turns": turns}
