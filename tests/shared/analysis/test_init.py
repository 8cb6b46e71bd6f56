"""Which analyzer runs for a bot, and the offline fallback when a cloud analyzer fails."""

from __future__ import annotations

from typing import Any

import pytest

from shared import scenarios
from shared.analysis import analyze_call
from shared.config.bot import BotConfig
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.providers.spec import ProviderContext, ProviderSpec
from shared.results import CallResult
from tests.shared.analysis.test_structured import ScriptedLLM

SUPPORT = scenarios.get("support_desk")
NO_KEYS = Credentials({}, {}, environ={})


def create(spec: ProviderSpec, ctx: ProviderContext) -> ScriptedLLM:
    """A registry entry point, like any provider module's."""
    return ScriptedLLM(spec.options.get("answer"))


def bot(**changes: Any) -> BotConfig:
    base = {"id": "b", "name": "B", "scenario": "support_desk", "greeting": "Hi."}
    return BotConfig.model_validate(base | changes)


@pytest.fixture(autouse=True)
def scripted_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._REGISTRY, ("llm", "scripted"), __name__)


async def test_local_intent_bots_are_analyzed_offline(result: CallResult) -> None:
    analysis = await analyze_call(bot(), SUPPORT, result, NO_KEYS)
    assert analysis is not None
    assert analysis.analyzer == "local-intent"


async def test_analysis_can_be_turned_off(result: CallResult) -> None:
    assert await analyze_call(bot(analysis={"enabled": False}), SUPPORT, result, NO_KEYS) is None


async def test_a_cloud_analyzer_answers_in_the_bots_labels(result: CallResult) -> None:
    answer = '{"disposition": "abandoned", "summary": "s", "fields": {}}'
    spec = {"kind": "llm", "name": "scripted", "options": {"answer": answer}}
    analysis = await analyze_call(bot(analysis={"provider": spec}), SUPPORT, result, NO_KEYS)
    assert analysis is not None
    assert (analysis.disposition, analysis.analyzer) == ("abandoned", "llm:scripted")


async def test_a_failing_cloud_analyzer_falls_back_offline_and_says_so(
    result: CallResult,
) -> None:
    spec = {"kind": "llm", "name": "scripted", "options": {"answer": "garbage"}}
    analysis = await analyze_call(bot(analysis={"provider": spec}), SUPPORT, result, NO_KEYS)
    assert analysis is not None
    assert analysis.analyzer == "local-intent"
    assert analysis.disposition == "resolved"
    assert analysis.problems == [
        "llm:scripted analysis failed (AnalysisFailedError); decided offline"
    ]
