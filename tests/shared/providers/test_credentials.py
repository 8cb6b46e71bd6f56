"""Provider keys per tenant from the process's secrets, and bots refused when a key is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.config.bot import BotConfig
from shared.config.source import BotConfigError, DirectoryBotSource, checked
from shared.providers.credentials import Credentials
from shared.providers.spec import MissingKeyError, ProviderSpec

OPENAI = ProviderSpec(kind="llm", name="openai", model="gpt-4o-mini")
KEYS = {"openai": SecretStr("sk-process"), "acme/openai": SecretStr("sk-acme")}


def test_a_tenants_own_key_wins_then_the_process_key_then_the_vendor_variable() -> None:
    credentials = Credentials(KEYS, {"openai": "http://127.0.0.1:9/v1"}, environ={})
    assert credentials.access("acme", OPENAI).key(OPENAI) == "sk-acme"
    assert credentials.access("other", OPENAI).key(OPENAI) == "sk-process"
    assert credentials.access("acme", OPENAI).base_url == "http://127.0.0.1:9/v1"
    from_env = Credentials({}, {}, environ={"OPENAI_API_KEY": "sk-env"})
    assert from_env.access("acme", OPENAI).key(OPENAI) == "sk-env"
    with pytest.raises(MissingKeyError, match="llm:openai/gpt-4o-mini: no API key"):
        Credentials({}, {}, environ={}).access("acme", OPENAI).key(OPENAI)


def test_keys_never_print() -> None:
    access = Credentials(KEYS, {}, environ={}).access("acme", OPENAI)
    assert "sk-acme" not in repr(access) and "sk-acme" not in str(access)


def test_every_provider_in_the_chain_is_checked() -> None:
    bot = BotConfig.model_validate(
        {
            "id": "b",
            "tenant": "acme",
            "name": "B",
            "scenario": "support_desk",
            "greeting": "Hi.",
            "llm": {"kind": "llm", "name": "openai"},
            "fallbacks": {"stt": [{"kind": "stt", "name": "deepgram"}]},
        }
    )
    assert Credentials({}, {}, environ={}).missing(bot) == [
        "fallbacks.stt.0: provider 'deepgram' needs an API key: set DEEPGRAM_API_KEY or "
        'VOXCORE_PROVIDER_KEYS["acme/deepgram"]',
        "llm: provider 'openai' needs an API key: set OPENAI_API_KEY or "
        'VOXCORE_PROVIDER_KEYS["acme/openai"]',
    ]
    assert Credentials(KEYS, {}, environ={"DEEPGRAM_API_KEY": "dg"}).missing(bot) == []


def test_a_bot_without_its_key_is_refused_when_loaded_and_the_others_work(
    tmp_path: Path,
) -> None:
    common = "name: B\nscenario: support_desk\ngreeting: Hi.\n"
    (tmp_path / "cloud.yaml").write_text("id: cloud\nstt: {kind: stt, name: deepgram}\n" + common)
    (tmp_path / "local.yaml").write_text("id: local\n" + common)
    source = DirectoryBotSource(tmp_path, check=Credentials({}, {}, environ={}).check)
    assert [bot.id for bot in source.list()] == ["local"]
    [error] = source.errors()
    assert error.startswith(f"{tmp_path / 'cloud.yaml'}: stt: provider 'deepgram' needs")
    assert "DEEPGRAM_API_KEY" in error


def test_a_bridge_body_without_its_key_is_refused_with_its_origin() -> None:
    bot = BotConfig.model_validate(
        {
            "id": "x",
            "name": "x",
            "scenario": "support_desk",
            "greeting": "Hi.",
            "tts": {"kind": "tts", "name": "elevenlabs"},
        }
    )
    check = Credentials({}, {}, environ={}).check
    with pytest.raises(BotConfigError, match=r"^bridge:bots/x: tts: .*ELEVENLABS_API_KEY"):
        checked("bridge:bots/x", bot, check)


def test_a_tenants_own_endpoint_never_gets_the_process_key() -> None:
    urls = {"acme/openai": "http://vllm.acme.internal:8000/v1"}
    credentials = Credentials(
        {"openai": SecretStr("sk-process")}, urls, environ={"OPENAI_API_KEY": "sk-env"}
    )
    access = credentials.access("acme", OPENAI)
    assert (access.api_key, access.base_url) == (None, urls["acme/openai"])
    assert credentials.access("other", OPENAI).key(OPENAI) == "sk-process"
