"""The cloud LLMs in real calls: ``openai``, ``gemini`` and ``vertex`` against their fake servers.

One real ``voxcore serve`` with three support-desk bots, one per LLM (Whisper and Piper stay
offline), keys from ``VOXCORE_PROVIDER_KEYS`` (canaries) and endpoints from
``VOXCORE_PROVIDER_URLS``. Each bot takes the two-turn ticket call at 8 kHz over the Exotel
socket: the caller's problem, the model asks for the extension, the caller says it, the model
calls ``open_ticket`` and reads the ticket back. The three calls run at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.local_server import RunningServer
from shared.pricing import price_table
from tests.fakes.server import serving
from tests.fakes.vendors.gemini import FakeGemini
from tests.fakes.vendors.openai import FakeOpenAI
from tests.integration.providers import harness

OPENAI_KEY = "sk-canary-openai-5f1c9a2e"
GEMINI_KEY = "AIza-canary-gemini-7d3b6e0f"
BOTS = {  # bot id -> the LLM it pins
    "llm-openai": {"kind": "llm", "name": "openai", "model": "gpt-4o-mini"},
    "llm-gemini": {"kind": "llm", "name": "gemini", "model": "gemini-2.5-flash"},
    "llm-vertex": {
        "kind": "llm",
        "name": "vertex",
        "model": "gemini-2.5-flash",
        "options": {"location": "us-central1"},
    },
}
SERVICES = {  # bot id -> the Pipecat processor whose metrics the result carries
    "llm-openai": "OpenAILLMService#",
    "llm-gemini": "GoogleLLMService#",
    "llm-vertex": "GoogleVertexLLMService#",
}


@dataclass
class Stage:
    server: RunningServer
    openai: FakeOpenAI
    gemini: FakeGemini
    secrets: list[str]  # every credential (and part of one) that must never be written


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    openai, gemini = FakeOpenAI(key=OPENAI_KEY), FakeGemini(api_key=GEMINI_KEY)
    with serving(openai.app()) as openai_url, serving(gemini.app()) as gemini_url:
        vertex_key = gemini.credentials(gemini_url, key_id="canary-vertex-key-id-41c7")
        pem = json.loads(vertex_key)["private_key"]
        server = harness.start_provider_server(
            tmp_path_factory.mktemp("llms"),
            [harness.support_bot(bot, llm=llm) for bot, llm in BOTS.items()],
            keys={"openai": OPENAI_KEY, "gemini": GEMINI_KEY, "vertex": vertex_key},
            urls={"openai": f"{openai_url}/v1", "gemini": gemini_url, "vertex": gemini_url},
        )
        body = [line for line in pem.splitlines() if line and "PRIVATE KEY" not in line]
        secrets = [OPENAI_KEY, GEMINI_KEY, "canary-vertex-key-id-41c7", *body]
        try:
            yield Stage(server, openai, gemini, secrets)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def calls(stage: Stage, speech_dir: Path) -> dict[str, dict[str, Any]]:
    """The three calls, placed at once; each caller on an event loop of its own."""

    def call(bot: str) -> dict[str, Any]:
        report, result = asyncio.run(harness.support_call(stage.server, speech_dir, bot))
        assert report.errors == [], report.errors
        return result

    async def all_at_once() -> list[dict[str, Any]]:
        return await asyncio.gather(*(asyncio.to_thread(call, bot) for bot in BOTS))

    return dict(zip(BOTS, asyncio.run(all_at_once()), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("bot", sorted(BOTS))
def test_a_multi_turn_call_opens_the_ticket_through_the_cloud_llm(
    bot: str, calls: dict[str, dict[str, Any]]
) -> None:
    result = calls[bot]
    ticket = harness.ticket_opened(result)
    spoken = " ".join(turn["text"] for turn in result["transcript"] if turn["role"] == "bot")
    assert "extension number" in spoken  # the model asked before it acted
    assert f"I've opened ticket {ticket['result']['ticket_id']}" in spoken


@pytest.mark.slow
@pytest.mark.parametrize("bot", sorted(BOTS))
def test_tokens_cost_and_llm_latency_land_in_the_result(
    bot: str, calls: dict[str, dict[str, Any]]
) -> None:
    result = calls[bot]
    spec = BOTS[bot]
    line = next(u for u in result["usage"] if u["kind"] == "llm")
    assert (line["provider"], line["model"]) == (spec["name"], spec["model"])
    assert line["input_tokens"] > 0 and line["output_tokens"] > 0
    price = price_table().find("llm", spec["name"], spec["model"])
    assert price is not None  # every model pinned here is in prices.yaml
    expected = (
        line["input_tokens"] / 1e6 * price.per_million_input_tokens
        + line["output_tokens"] / 1e6 * price.per_million_output_tokens
    )
    assert line["cost_usd"] == pytest.approx(expected, abs=1e-6) and line["cost_usd"] > 0
    label = f"llm:{spec['name']}/{spec['model']}"  # or the processor's name, per release
    llm_ttfb = [
        ms
        for turn in result["latency"]
        for name, ms in turn["ttfb_ms"].items()
        if name == label or name.startswith(SERVICES[bot])
    ]
    assert llm_ttfb and all(ms > 0 for ms in llm_ttfb), result["latency"]
    assert any(turn["parts_ms"].get("llm_inference", 0) > 0 for turn in result["latency"])


@pytest.mark.slow
@pytest.mark.parametrize("bot", sorted(BOTS))
def test_the_cloud_llm_analyzes_the_call_in_the_bots_schema(
    bot: str, calls: dict[str, dict[str, Any]]
) -> None:
    analysis = calls[bot]["analysis"]
    spec = BOTS[bot]
    assert analysis["analyzer"] == f"llm:{spec['name']}/{spec['model']}"
    assert analysis["disposition"] == "ticket_opened"
    assert analysis["fields"]["extension"] == "55"
    assert analysis["fields"]["category"] == "conference"
    assert analysis["problems"] == []


@pytest.mark.slow
def test_the_fakes_saw_each_provider_authenticated_on_its_own_endpoint(
    stage: Stage, calls: dict[str, dict[str, Any]]
) -> None:
    openai = [r for r in stage.openai.requests if r.path == "/v1/chat/completions"]
    assert len(openai) >= 4  # two caller turns, the tool round trip, the analysis
    assert {r.headers["authorization"] for r in openai} == {f"Bearer {OPENAI_KEY}"}
    gemini = [r for r in stage.gemini.requests if r.path.startswith("/v1beta/")]
    assert {r.headers["x-goog-api-key"] for r in gemini} == {GEMINI_KEY}
    vertex = [r for r in stage.gemini.requests if r.path.startswith("/v1beta1/")]
    assert vertex and all("/locations/us-central1/" in r.path for r in vertex)
    assert {r.headers["authorization"].removeprefix("Bearer ") for r in vertex} <= (
        stage.gemini.tokens
    )


@pytest.mark.slow
def test_no_key_reaches_the_results_or_the_log(
    stage: Stage, calls: dict[str, dict[str, Any]]
) -> None:
    written = stage.server.log() + json.dumps(stage.server.results())
    leaked = [secret for secret in stage.secrets if secret in written]
    assert leaked == []
    tokens = [token for token in stage.gemini.tokens if token in written]
    assert tokens == []  # nor Vertex's access tokens, which no setting names
