"""``BotConfig`` sections: fallbacks, webhook tools, handoff and analysis, each error named."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shared.config.bot import BotConfig
from shared.config.source import BotConfigError, parse_bot

BASE: dict[str, Any] = {
    "id": "b",
    "name": "B",
    "scenario": "support_desk",
    "greeting": "Hi.",
}
WHISPER = {"kind": "stt", "name": "local-whisper"}


def refused(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(BotConfigError, match=problem):
        parse_bot("b.yaml", yaml.safe_dump(BASE | changes))


def test_defaults_are_complete_and_versioned() -> None:
    bot = BotConfig.model_validate(BASE)
    assert bot.version == 1
    assert bot.providers("stt") == [bot.stt]
    assert bot.handoff.enabled is False
    assert bot.analysis.labels == ["resolved", "abandoned", "unresolved"]


def test_fallbacks_follow_the_primary_and_must_be_the_right_kind() -> None:
    other = {"kind": "stt", "name": "deepgram", "model": "nova-3"}
    bot = BotConfig.model_validate(BASE | {"fallbacks": {"stt": [other]}})
    assert [spec.name for spec in bot.providers("stt")] == ["local-whisper", "deepgram"]
    refused({"fallbacks": {"tts": [WHISPER]}}, r"fallbacks\.tts\.0: provider 'local-whisper'")
    refused({"fallbacks": {"stt": [WHISPER]}}, r"fallbacks\.stt\.0: .* already earlier")


def test_flux_and_vad_turn_taking_do_not_mix_in_one_chain() -> None:
    flux = {"kind": "stt", "name": "deepgram-flux"}
    refused({"stt": flux, "fallbacks": {"stt": [WHISPER]}}, "deepgram-flux takes turns itself")
    refused({"fallbacks": {"stt": [flux]}}, "deepgram-flux takes turns itself")


def test_unknown_scenarios_are_refused_when_validated() -> None:
    refused({"scenario": "pizza"}, r"scenario: unknown 'pizza' \(registered: clinic_booking")


def test_webhooks_replace_scenario_tools_or_declare_their_own() -> None:
    replacing = {"name": "open_ticket", "url": "https://crm.example.com/tickets"}
    new = {
        "name": "crm_lookup",
        "url": "https://crm.example.com/lookup",
        "description": "Find the caller's account",
        "parameters": {"type": "object", "properties": {"phone": {"type": "string"}}},
    }
    bot = BotConfig.model_validate(BASE | {"webhooks": [replacing, new]})
    assert [w.name for w in bot.webhooks] == ["open_ticket", "crm_lookup"]
    refused({"webhooks": [{**new, "description": None}]}, r"webhooks\.0: 'crm_lookup' is not")
    refused({"webhooks": [replacing, replacing]}, r"webhooks\.1\.name: 'open_ticket' is already")
    refused({"webhooks": [{**replacing, "name": "end_call"}]}, "'end_call' is already a tool")
    refused({"webhooks": [{**new, "parameters": {"type": "array"}}]}, r"parameters: .*object")
    refused({"webhooks": [{**replacing, "url": "ftp://x"}]}, r"webhooks\.0\.url")


def test_credentials_belong_in_secret_headers() -> None:
    hook = {"name": "open_ticket", "url": "https://crm.example.com/t"}
    refused(
        {"webhooks": [{**hook, "headers": {"Authorization": "Bearer abc"}}]},
        r"webhooks\.0\.headers: .*'Authorization' looks like a credential",
    )
    ok = BotConfig.model_validate(
        BASE | {"webhooks": [{**hook, "secret_headers": {"Authorization": "crm"}}]}
    )
    assert ok.webhooks[0].secret_headers == {"Authorization": "crm"}


def test_handoff_music_needs_a_source() -> None:
    refused({"handoff": {"hold_mode": "music"}}, "hold_music_url: required")


def test_analysis_settings_are_checked_against_the_bot() -> None:
    refused({"analysis": {"fallback": "happy"}}, r"fallback: 'happy' is not one of")
    refused({"analysis": {"fields": {"type": "nope"}}}, r"analysis\.fields: .*not a valid JSON")
    refused({"analysis": {"fields": {"type": "string"}}}, r"analysis\.fields: .*must be")
    rule = {"label": "x", "description": "d", "tools": ["book_flight"]}
    refused(
        {"analysis": {"dispositions": [rule], "fallback": "x"}},
        r"analysis\.dispositions\.0\.tools: \['book_flight'\] are not tools",
    )
    rule = {"label": "x", "description": "d", "intents": ["order_pizza"]}
    refused(
        {"analysis": {"dispositions": [rule], "fallback": "x"}},
        r"analysis\.dispositions\.0\.intents: \['order_pizza'\] are not support_desk intents",
    )
    tts = {"kind": "tts", "name": "local-piper"}
    refused({"analysis": {"provider": tts}}, "is not an llm provider")
