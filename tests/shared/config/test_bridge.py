"""Bot configs from a real (fake) bridge on 127.0.0.1: cache, stale-if-error, 404, bad bodies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from loguru import logger
from pydantic import SecretStr

from shared.config.bot import BotConfig
from shared.config.bridge import BridgeBotSource, BridgeUnavailableError
from shared.config.source import BotConfigError, BotNotFoundError
from shared.handoff import HandoffRequest
from shared.results import CallResult
from tests.fakes.bridge import FakeBridge, bot, running_bridge

CANARY = "canary-token-7f3a9c"
OPENAPI = Path(__file__).resolve().parents[3] / "docs" / "bridge-openapi.yaml"


@pytest.fixture
def bridge() -> Iterator[FakeBridge]:
    with running_bridge({"alpha": bot("alpha"), "beta": bot("beta")}) as fake:
        yield fake


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    yield lines
    logger.remove(sink)


@pytest.fixture
async def source(bridge: FakeBridge) -> AsyncIterator[BridgeBotSource]:
    made = BridgeBotSource(
        bridge.url, SecretStr(CANARY), timeout_s=0.3, ttl_s=0.3, failure_ttl_s=0.2
    )
    yield made
    await made.aclose()


async def test_fresh_entries_are_served_without_a_request(
    bridge: FakeBridge, source: BridgeBotSource
) -> None:
    first = await source.by_id("alpha")
    assert first.id == "alpha"
    assert await source.by_id("alpha") is first
    assert (await source.by_number("+91 (80) 4000-1000")).id == "alpha"
    assert (await source.by_number("0091 80 4000 1000")).id == "alpha"
    assert bridge.requests == ["/v1/bots/alpha", "/v1/numbers/918040001000/bot"]


async def test_ttl_expiry_refetches(bridge: FakeBridge, source: BridgeBotSource) -> None:
    assert (await source.by_id("alpha")).greeting == "Hello."
    bridge.bots["alpha"] = bot("alpha", greeting="Hi again.")
    await asyncio.sleep(0.35)
    assert (await source.by_id("alpha")).greeting == "Hi again."
    assert len(bridge.requests) == 2


@pytest.mark.parametrize("outage", ["stopped", "error", "hang"])
async def test_bridge_down_serves_recent_bots_and_refuses_unseen_ones(
    bridge: FakeBridge, source: BridgeBotSource, logs: list[str], outage: str
) -> None:
    await source.by_id("alpha")
    await asyncio.sleep(0.35)
    if outage == "stopped":
        bridge.stop()
    else:
        bridge.mode = outage
    stale = await source.by_id("alpha")
    assert stale.id == "alpha"
    warnings = [line for line in logs if "serving stale config for bot 'alpha', age" in line]
    assert len(warnings) == 1, "one warning per stale serve"
    started = time.monotonic()
    assert (await source.by_id("alpha")).id == "alpha"  # the failure is remembered: no wait
    assert time.monotonic() - started < 0.1
    assert len(bridge.requests) == (1 if outage == "stopped" else 2)
    with pytest.raises(BridgeUnavailableError, match="bridge unreachable and bot 'beta' never"):
        await source.by_id("beta")


async def test_stale_copies_expire(bridge: FakeBridge) -> None:
    source = BridgeBotSource(bridge.url, None, ttl_s=0.05, stale_if_error_s=0.1)
    await source.by_id("alpha")
    bridge.mode = "error"
    await asyncio.sleep(0.15)
    with pytest.raises(BridgeUnavailableError, match=r"beyond the 0 s stale limit.*HTTP 500"):
        await source.by_id("alpha")
    await source.aclose()


async def test_unknown_and_deleted_bots_are_not_found(
    bridge: FakeBridge, source: BridgeBotSource
) -> None:
    with pytest.raises(BotNotFoundError, match="the bridge has no bot 'ghost'"):
        await source.by_id("ghost")
    with pytest.raises(BotNotFoundError, match="number '15550100'"):
        await source.by_number("+1 555 0100")
    with pytest.raises(BotNotFoundError, match="not a valid bot id"):
        await source.by_id("../admin")
    await source.by_id("alpha")
    del bridge.bots["alpha"]
    await asyncio.sleep(0.35)
    with pytest.raises(BotNotFoundError):
        await source.by_id("alpha")
    bridge.mode = "error"  # a deleted bot is not resurrected from cache when the bridge errs
    await asyncio.sleep(0.25)
    with pytest.raises(BridgeUnavailableError, match="never fetched"):
        await source.by_id("alpha")


async def test_invalid_body_names_bot_and_field_and_keeps_last_valid(
    bridge: FakeBridge, source: BridgeBotSource, logs: list[str]
) -> None:
    bridge.bots["beta"] = bot("beta", limits={"max_duration_s": -1})
    with pytest.raises(
        BotConfigError, match=r"bridge:bots/beta: limits\.max_duration_s: .*greater"
    ):
        await source.by_id("beta")
    await source.by_id("alpha")
    bridge.bots["alpha"] = bot("alpha", stt={"kind": "tts", "name": "local-piper"})
    await asyncio.sleep(0.35)
    assert (await source.by_id("alpha")).stt.name == "local-whisper"
    assert any("serving stale config for bot 'alpha'" in line and "stt" in line for line in logs)


async def test_token_is_sent_as_bearer_and_never_logged(
    bridge: FakeBridge, source: BridgeBotSource, logs: list[str]
) -> None:
    await source.by_id("alpha")
    assert bridge.auth == [f"Bearer {CANARY}"]
    errors: list[str] = []
    for outage in ("error", "hang", "stopped"):
        await asyncio.sleep(0.35)
        if outage == "stopped":
            bridge.stop()
        else:
            bridge.mode = outage
        await source.by_id("alpha")
        try:
            await source.by_id(f"never-{outage}")
        except BridgeUnavailableError as error:
            errors.append(repr(error) + repr(error.__cause__) + repr(error.__context__))
    assert len(errors) == 3
    assert logs
    assert not any(CANARY in text for text in logs + errors)


async def test_concurrent_lookups_share_one_request(
    bridge: FakeBridge, source: BridgeBotSource
) -> None:
    bridge.mode = "hang"
    waiting = [asyncio.create_task(source.by_id("alpha")) for _ in range(20)]
    await asyncio.sleep(0.1)
    bridge.mode = "ok"
    found = await asyncio.gather(*waiting)
    assert {b.id for b in found} == {"alpha"}
    assert bridge.requests == ["/v1/bots/alpha"]


def schema_components() -> dict[str, Any]:
    """The models as OpenAPI components: ``$defs`` hoisted beside them, refs pointing there."""
    components: dict[str, Any] = {}
    for model in (BotConfig, CallResult, HandoffRequest):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


def test_openapi_embeds_the_current_model_schemas() -> None:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    embedded = document["components"]["schemas"]
    assert embedded == schema_components()
    # Put back together, the embedded BotConfig is exactly what the code validates against.
    as_defs = json.loads(json.dumps(embedded).replace("#/components/schemas/", "#/$defs/"))
    expected = BotConfig.model_json_schema()
    bot_config = as_defs["BotConfig"] | {
        "$defs": {name: as_defs[name] for name in expected["$defs"]}
    }
    assert bot_config == expected
    for path in ("/v1/bots/{bot_id}", "/v1/numbers/{number}/bot", "/v1/call-results"):
        assert path in document["paths"]


if __name__ == "__main__":  # rewrites the generated block at the end of the document
    text = OPENAPI.read_text(encoding="utf-8")
    block = yaml.safe_dump({"schemas": schema_components()}, sort_keys=False, width=100)
    indented = "".join(f"  {line}" if line.strip() else line for line in block.splitlines(True))
    OPENAPI.write_text(text[: text.index("  schemas:\n")] + indented, encoding="utf-8")
