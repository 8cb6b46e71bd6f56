"""Webhook tools in real calls: the bot's backend answers, and a private address is refused.

Two bots replace ``open_ticket`` with a webhook: one to a backend on 127.0.0.1 (allowed by
``VOXCORE_WEBHOOK_ALLOWED_NETWORKS``, its credential from ``VOXCORE_TOOL_SECRETS``), one to the
cloud metadata address, which the egress policy refuses before any request is made.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lab.caller.session import CallOptions, place_call
from lab.local_server import RunningServer, start_server
from shared.settings import DEFAULT_BOTS_DIR
from tests.fakes.server import serving

CANARY = "Bearer canary-webhook-5e1d"
CLIPS = ["asterisk-core-en/confbridge-lock-no-join.wav", "pocketsphinx/cards_004.wav"]


def webhook_bot(bot_id: str, url: str) -> dict[str, Any]:
    bot = yaml.safe_load((DEFAULT_BOTS_DIR / "support-desk.yaml").read_text())
    hook = {"name": "open_ticket", "url": url, "secret_headers": {"Authorization": "crm"}}
    return bot | {"id": bot_id, "dids": [], "webhooks": [hook]}


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/tickets")
    async def tickets(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append({"authorization": request.headers.get("authorization"), **body})
        arguments = body["arguments"]
        return JSONResponse({"ticket_id": "90017", **arguments})

    with serving(app) as url:
        yield url, seen


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, backend: tuple[str, list[dict[str, Any]]]
) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("webhooks")
    bots = workdir / "bots"
    bots.mkdir()
    for bot in (
        webhook_bot("crm-desk", backend[0] + "/tickets"),
        webhook_bot("metadata-desk", "http://169.254.169.254/latest/meta-data/"),
    ):
        (bots / f"{bot['id']}.yaml").write_text(yaml.safe_dump(bot))
    env = {
        "VOXCORE_BOTS_DIR": str(bots),
        "VOXCORE_WEBHOOK_ALLOWED_NETWORKS": json.dumps(["127.0.0.0/8"]),
        "VOXCORE_TOOL_SECRETS": json.dumps({"crm": CANARY}),
    }
    running = start_server(workdir, env)
    yield running
    running.stop()


@pytest.mark.slow
async def test_webhook_tools_answer_and_private_addresses_are_refused(
    server: RunningServer, backend: tuple[str, list[dict[str, Any]]], speech_dir: Path
) -> None:
    _, seen = backend
    clips = [speech_dir / clip for clip in CLIPS]
    options = CallOptions(timeout_s=90)
    reports = await asyncio.gather(
        *(
            place_call(
                "exotel", server.ws("/ws/exotel"), clips, bot=bot, call_id=bot, options=options
            )
            for bot in ("crm-desk", "metadata-desk")
        )
    )
    assert all(report.errors == [] for report in reports)

    answered = server.result("crm-desk")
    [request] = seen
    assert request["authorization"] == CANARY
    assert request["arguments"]["extension"] == "55"
    assert request["call"]["call_id"] == "crm-desk"
    [ticket] = [call for call in answered["tool_calls"] if call["name"] == "open_ticket"]
    assert ticket["result"]["ticket_id"] == "90017" and ticket["error"] is None
    assert any("ticket 90017" in t["text"] for t in answered["transcript"] if t["role"] == "bot")

    refused = server.result("metadata-desk")
    [ticket] = [call for call in refused["tool_calls"] if call["name"] == "open_ticket"]
    assert "169.254.169.254 resolves to a non-public address" in ticket["error"]
    bot_lines = [t["text"] for t in refused["transcript"] if t["role"] == "bot"]
    assert any("something went wrong" in line for line in bot_lines)

    written = json.dumps([answered, refused]) + server.log()
    assert CANARY.split()[1] not in written
