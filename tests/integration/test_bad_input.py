"""Bad input on a real server: each case ends only its own call, with a clear close reason
and one log line, while a healthy call beside it runs to its end."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from lab.caller.session import place_call
from lab.local_server import RunningServer

SILENCE_20MS = base64.b64encode(bytes(320)).decode()


def exotel_start(call_id: str, **overrides: Any) -> dict[str, Any]:
    start = {
        "stream_sid": f"stream-{call_id}",
        "call_sid": call_id,
        "account_sid": "acct",
        "from": "+15550001111",
        "to": "+15550100100",
        "custom_parameters": {},
        "media_format": {"encoding": "base64", "sample_rate": "8000", "bit_rate": "128kbps"},
    }
    start.update(overrides)
    return {
        "event": "start",
        "sequence_number": "1",
        "stream_sid": start["stream_sid"],
        "start": start,
    }


def dialler_start(call_id: str, **overrides: Any) -> dict[str, Any]:
    start: dict[str, Any] = {
        "event": "start",
        "call_id": call_id,
        "from": "+15550001111",
        "to": "+15550100100",
        "media_format": {"encoding": "linear16", "sample_rate": 8000, "channels": 1},
    }
    start.update(overrides)
    return start


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    """Drain the socket until the server closes it; return its close code and reason."""
    try:
        async with asyncio.timeout(10):
            async for _ in ws:
                pass
    except ConnectionClosed:
        pass
    assert ws.close_code is not None, "server did not close the socket"
    return ws.close_code, ws.close_reason or ""


async def open_call(server: RunningServer, path: str, start: dict[str, Any]) -> ClientConnection:
    ws = await connect(server.ws(path), max_size=None)
    if path == "/ws/exotel":
        await ws.send(json.dumps({"event": "connected"}))
    await ws.send(json.dumps(start))
    await ws.send(
        json.dumps(
            {"event": "media", "media": {"payload": SILENCE_20MS}, "stream_sid": "x"}
            if path == "/ws/exotel"
            else {"event": "media", "seq": 1, "payload": SILENCE_20MS}
        )
    )
    return ws


async def malformed_json(server: RunningServer) -> tuple[int, str]:
    ws = await open_call(server, "/ws/exotel", exotel_start("bad-json"))
    await ws.send("{not json")
    return await closed_with(ws)


async def unknown_event(server: RunningServer) -> tuple[int, str]:
    ws = await open_call(server, "/ws/dialler", dialler_start("bad-event"))
    await ws.send(json.dumps({"event": "teleport"}))
    return await closed_with(ws)


async def media_before_start(server: RunningServer) -> tuple[int, str]:
    ws = await connect(server.ws("/ws/dialler"))
    await ws.send(json.dumps({"event": "media", "seq": 1, "payload": SILENCE_20MS}))
    return await closed_with(ws)


async def unsupported_rate(server: RunningServer) -> tuple[int, str]:
    ws = await connect(server.ws("/ws/exotel"))
    fmt = {"encoding": "base64", "sample_rate": "44100", "bit_rate": "705kbps"}
    await ws.send(json.dumps(exotel_start("bad-rate", media_format=fmt)))
    return await closed_with(ws)


async def unsupported_encoding(server: RunningServer) -> tuple[int, str]:
    ws = await connect(server.ws("/ws/dialler"))
    fmt = {"encoding": "opus", "sample_rate": 8000, "channels": 1}
    await ws.send(json.dumps(dialler_start("bad-encoding", media_format=fmt)))
    return await closed_with(ws)


async def oversized_frame(server: RunningServer) -> tuple[int, str]:
    ws = await open_call(server, "/ws/dialler", dialler_start("too-big"))
    await ws.send(json.dumps({"event": "media", "seq": 2, "payload": "A" * 100_000}))
    return await closed_with(ws)


async def binary_garbage(server: RunningServer) -> tuple[int, str]:
    ws = await open_call(server, "/ws/exotel", exotel_start("binary"))
    await ws.send(b"\x00\xffgarbage\x13\x37")
    return await closed_with(ws)


async def unknown_bot(server: RunningServer) -> tuple[int, str]:
    ws = await connect(server.ws("/ws/dialler"))
    await ws.send(json.dumps(dialler_start("no-such-bot", bot="nope")))
    return await closed_with(ws)


async def did_without_bot(server: RunningServer) -> tuple[int, str]:
    ws = await connect(server.ws("/ws/exotel"))
    await ws.send(json.dumps(exotel_start("no-did", to="+15559999999")))
    return await closed_with(ws)


CASES = {
    "malformed JSON": (malformed_json, 1007, "not valid JSON"),
    "unknown event": (unknown_event, 1008, "unknown event 'teleport'"),
    "media before start": (media_before_start, 1008, "'media' before 'start'"),
    "unsupported rate": (unsupported_rate, 1003, "unsupported sample rate 44100"),
    "unsupported encoding": (unsupported_encoding, 1003, "opus"),
    "oversized frame": (oversized_frame, 1009, "over"),
    "binary garbage": (binary_garbage, 1003, "binary frames"),
    "unknown bot": (unknown_bot, 1008, "unknown bot 'nope'"),
    "DID with no bot": (did_without_bot, 1008, "no bot is assigned"),
}


async def caller_vanishes(server: RunningServer) -> None:
    """The caller's line drops mid-turn: no stop event, the TCP connection just goes."""
    ws = await open_call(server, "/ws/dialler", dialler_start("vanished"))
    await asyncio.sleep(1.0)
    for seq in range(25):
        await ws.send(json.dumps({"event": "media", "seq": seq, "payload": SILENCE_20MS}))
    ws.transport.abort()


@pytest.mark.slow
async def test_bad_input_never_hurts_a_healthy_call(
    server: RunningServer, demo_audio: Path
) -> None:
    healthy = asyncio.create_task(
        place_call(
            "dialler",
            server.ws("/ws/dialler"),
            [demo_audio / "hours.wav", demo_audio / "goodbye.wav"],
            bot=None,  # found by the dialled number, as a DID call would be
            to="+1 555 0100 100",
            call_id="healthy-beside-bad-input",
        )
    )
    await asyncio.sleep(2.0)  # the healthy call is up and the greeting is playing
    outcomes = {name: await case(server) for name, (case, _, _) in CASES.items()}
    await caller_vanishes(server)
    report = await healthy

    for name, (_, code, reason) in CASES.items():
        got_code, got_reason = outcomes[name]
        assert got_code == code, f"{name}: closed {got_code} {got_reason!r}"
        assert reason in got_reason, f"{name}: reason {got_reason!r}"
        assert server.log().count(got_reason) >= 1, f"{name}: not logged"

    vanished = server.result("vanished")
    assert vanished["disconnected_by"] == "caller"
    assert server.result("no-such-bot")["disconnected_by"] == "refused"

    assert report.close_code == 1000
    assert len(report.turns) == 2 and all(turn.v2v_ms for turn in report.turns)
    async with httpx.AsyncClient() as client:  # every one of those calls gave its slot back
        assert (await client.get(f"{server.http}/ready")).json()["active_calls"] == 0
    healthy_result = server.result("healthy-beside-bad-input")
    assert healthy_result["bot_id"] == "support-desk"
    assert healthy_result["disconnected_by"] == "bot"
    assert any(call["name"] == "end_call" for call in healthy_result["tool_calls"])
