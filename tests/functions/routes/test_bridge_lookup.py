"""With ``VOXCORE_BRIDGE_URL`` set, calls find their bot on the bridge, and refusals say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from functions.app import create_app
from shared.results import read_results
from shared.settings import Settings
from tests.fakes.bridge import bot, running_bridge

START = {
    "event": "start",
    "call_id": "bridge-call",
    "from": "+15550001111",
    "media_format": {"encoding": "linear16", "sample_rate": 8000, "channels": 1},
}


def refusal(client: TestClient, **start: str) -> tuple[int, str]:
    """The close code and reason; the dialler's ``error`` event must say the same first."""
    with client.websocket_connect("/ws/dialler") as ws:
        ws.send_text(json.dumps({**START, **start}))
        error = json.loads(ws.receive_text())
        with pytest.raises(WebSocketDisconnect) as raised:
            ws.receive_text()
    assert error == {"event": "error", "code": "policy_violation", "reason": raised.value.reason}
    return raised.value.code, raised.value.reason


def test_unknown_and_unreachable_bots_are_refused_with_the_reason(tmp_path: Path) -> None:
    with running_bridge({"alpha": bot("alpha")}) as bridge:
        settings = Settings(data_dir=tmp_path, bridge_url=bridge.url, bridge_timeout_s=0.5)
        with TestClient(create_app(settings, preload=False)) as client:
            code, reason = refusal(client, bot="ghost", call_id="call-ghost")
            assert (code, "the bridge has no bot 'ghost'") == (1008, reason[:29])
            bridge.stop()
            code, reason = refusal(client, bot="never-seen", call_id="call-unseen")
            assert code == 1008
            assert reason.startswith("bridge unreachable and bot 'never-seen' never fetched")
    results = read_results(tmp_path / "results.jsonl")
    assert [r["disconnected_by"] for r in results] == ["refused", "refused"]


def test_twilio_webhook_looks_the_number_up_on_the_bridge(tmp_path: Path) -> None:
    with running_bridge({"alpha": bot("alpha")}) as bridge:
        settings = Settings(data_dir=tmp_path, bridge_url=bridge.url)
        with TestClient(create_app(settings, preload=False)) as client:
            form = {"CallSid": "CA1", "From": "+15551112222", "To": "+91 80 4000 1000"}
            response = client.post("/twilio/voice", data=form)
    assert response.status_code == 200
    assert '<Parameter name="bot" value="alpha"/>' in response.text
    assert bridge.requests == ["/v1/numbers/918040001000/bot"]
