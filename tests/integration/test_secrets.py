"""Nothing secret reaches what the server writes: logs, results, the outbox, recordings.

A server runs with canary values for every secret it knows; a real authenticated call, a
refused one and an unsigned webhook go through; then every file the server wrote is scanned.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from lab.caller.session import place_call
from lab.local_server import RunningServer, start_server

CANARIES = {
    "VOXCORE_MEDIA_TOKEN": "canary-media-4d1f9e",
    "TWILIO_AUTH_TOKEN": "canary-twilio-8b2c7a",
    "VOXCORE_BRIDGE_TOKEN": "canary-bridge-3e6d0b",
    "VOXCORE_BRIDGE_SECRET": "canary-signing-9a4f2c",
    "VOXCORE_S3_ACCESS_KEY": "AKIACANARY5K7Q",
    "VOXCORE_S3_SECRET_KEY": "canary-s3-secret-1c8e5d",
}
TOOL_SECRET = "canary-tool-6f2e1a"  # a webhook credential, given by name in bot configs
SCANNED = {**CANARIES, "VOXCORE_TOOL_SECRETS": TOOL_SECRET}


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tools = {"VOXCORE_TOOL_SECRETS": json.dumps({"crm": TOOL_SECRET})}
    server = start_server(tmp_path_factory.mktemp("secrets"), CANARIES | tools)
    yield server
    server.stop()


def written_files(server: RunningServer) -> list[Path]:
    root = server.log_path.parent
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.slow
async def test_canary_secrets_never_reach_anything_written(
    guarded_server: RunningServer, demo_audio: Path
) -> None:
    server = guarded_server
    token = CANARIES["VOXCORE_MEDIA_TOKEN"]
    report = await place_call(
        "exotel",
        server.ws(f"/ws/exotel?token={token}"),
        [demo_audio / "hours.wav"],
        bot="support-desk",
        call_id="canary-call",
        transcribe=False,
    )
    assert report.close_code == 1000
    async with connect(server.ws("/ws/dialler?token=wrong")) as refused:
        # The server may close before or after this start arrives: either way it refuses.
        with contextlib.suppress(ConnectionClosed):
            await refused.send(json.dumps({"event": "start", "call_id": "x"}))
            while True:
                await refused.recv()
    assert (refused.close_code, refused.close_reason) == (1008, "unauthorized")
    async with httpx.AsyncClient() as client:
        form = {"CallSid": "CA1", "To": "+1"}
        webhook = await client.post(f"{server.http}/twilio/voice", data=form)
    assert webhook.status_code == 403

    result = server.result("canary-call")
    assert result["recording"]
    server.stop()  # flush and close everything the server writes
    files = written_files(server)
    assert any(path.suffix == ".sqlite" for path in files)
    assert any(path.name == "results.jsonl" for path in files)
    assert any(path.suffix == ".wav" for path in files)
    for path in files:
        content = path.read_bytes()
        for name, canary in SCANNED.items():
            assert canary.encode() not in content, f"{name} found in {path}"
