"""A silent caller is reprompted, then said goodbye to; no call outlives its maximum duration."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from lab.local_server import RunningServer, start_server

SILENCE = base64.b64encode(bytes(320)).decode()
BOT = """
id: {id}
name: Limits test
scenario: support_desk
greeting: Hello.
reprompt: Are you still there?
goodbye: Goodbye for now.
limits: {{max_duration_s: {max_s}, silence_timeout_s: {silence_s}, silence_reprompts: 1}}
"""


@pytest.fixture(scope="module")
def limits_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    bots = tmp_path_factory.mktemp("bots")
    (bots / "quiet.yaml").write_text(BOT.format(id="quiet", max_s=120, silence_s=1.5))
    (bots / "short.yaml").write_text(BOT.format(id="short", max_s=6, silence_s=60))
    server = start_server(tmp_path_factory.mktemp("limits"), {"VOXCORE_BOTS_DIR": str(bots)})
    yield server
    server.stop()


async def silent_call(server: RunningServer, bot: str, call_id: str) -> tuple[int, str, int]:
    """Stay on the line saying nothing; return the close code, reason and hangup events seen."""
    hangups = 0
    async with connect(server.ws("/ws/dialler")) as ws:
        start = {
            "event": "start",
            "call_id": call_id,
            "bot": bot,
            "media_format": {"encoding": "linear16", "sample_rate": 8000, "channels": 1},
        }
        await ws.send(json.dumps(start))

        async def speak_silence() -> None:
            while True:
                await ws.send(json.dumps({"event": "media", "seq": 0, "payload": SILENCE}))
                await asyncio.sleep(0.02)

        sender = asyncio.create_task(speak_silence())
        try:
            async with asyncio.timeout(60):
                async for message in ws:
                    hangups += json.loads(message)["event"] == "hangup"
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
        assert ws.close_code is not None
        return ws.close_code, ws.close_reason or "", hangups


@pytest.mark.slow
async def test_silence_reprompts_then_says_goodbye(limits_server: RunningServer) -> None:
    code, reason, hangups = await silent_call(limits_server, "quiet", "silent-caller")
    assert (code, reason, hangups) == (1000, "caller silent", 1)
    result = limits_server.result("silent-caller")
    assert result["disconnected_by"] == "timeout"
    bot_lines = [turn["text"] for turn in result["transcript"] if turn["role"] == "bot"]
    assert bot_lines == ["Hello.", "Are you still there?", "Goodbye for now."]


@pytest.mark.slow
async def test_maximum_duration_ends_the_call(limits_server: RunningServer) -> None:
    code, reason, _ = await silent_call(limits_server, "short", "long-caller")
    assert (code, reason) == (1000, "maximum call duration reached")
    result = limits_server.result("long-caller")
    assert result["disconnected_by"] == "timeout"
    assert 6 <= result["duration_s"] < 12
