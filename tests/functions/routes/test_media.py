"""Media sockets refuse what they must before any pipeline is built."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.websockets import WebSocketDisconnect

from functions.app import create_app
from functions.call.recorder import CallRecorder
from functions.routes.media import with_recording
from functions.state import AppState
from lab.local_server import free_port
from shared.results import CallResult, read_results
from shared.settings import Settings

START = {
    "event": "start",
    "call_id": "route-test",
    "from": "+15550001111",
    "to": "+15550100100",
    "media_format": {"encoding": "linear16", "sample_rate": 8000, "channels": 1},
}


def closed(client: TestClient, path: str, *messages: dict[str, Any], **kw: Any) -> tuple[int, str]:
    with client.websocket_connect(path, **kw) as ws:
        for message in messages:
            ws.send_text(json.dumps(message))
        with pytest.raises(WebSocketDisconnect) as raised:
            while True:
                ws.receive_text()
    return raised.value.code, raised.value.reason


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, media_token=SecretStr("t0ken"), max_concurrent_calls=1)


def test_media_token_is_required(settings: Settings) -> None:
    with TestClient(create_app(settings, preload=False)) as client:
        assert closed(client, "/ws/dialler", START) == (1008, "unauthorized")
        assert closed(client, "/ws/dialler?token=wrong", START) == (1008, "unauthorized")
        headers = {"Authorization": "Bearer wrong"}
        assert closed(client, "/ws/dialler", START, headers=headers) == (1008, "unauthorized")


def test_calls_wait_for_readiness(settings: Settings) -> None:
    app = create_app(settings, preload=False)
    with TestClient(app) as client:
        app.state.voxcore.ready.clear()
        code, reason = closed(client, "/ws/dialler?token=t0ken", START)
        assert (code, reason) == (1013, "not ready: models are loading")


def test_full_capacity_answers_try_again_later(settings: Settings) -> None:
    app = create_app(settings, preload=False)
    with TestClient(app) as client:
        client.portal.call(app.state.voxcore.tracker.reserve, "someone-else")  # type: ignore[union-attr]
        code, reason = closed(client, "/ws/dialler?token=t0ken", START)
        assert code == 1013
        assert "all 1 call slots are busy" in reason


def test_unreachable_call_slots_answer_try_again_later(settings: Settings) -> None:
    """Shared slots that cannot be reached refuse the call; it never runs uncounted."""
    url = SecretStr(f"redis://:pw@127.0.0.1:{free_port()}/0")
    app = create_app(settings.model_copy(update={"tracker_url": url}), preload=False)
    with TestClient(app) as client:
        code, reason = closed(client, "/ws/dialler?token=t0ken", START)
    assert (code, reason) == (1013, "call slots unavailable")


def test_unknown_bot_is_refused_and_recorded(settings: Settings) -> None:
    with TestClient(create_app(settings, preload=False)) as client:
        code, reason = closed(client, "/ws/dialler?token=t0ken", {**START, "bot": "ghost"})
    assert (code, reason) == (1008, "unknown bot 'ghost'")
    (result,) = read_results(settings.data_dir / "results.jsonl")
    assert result["disconnected_by"] == "refused"
    assert result["close_reason"] == "unknown bot 'ghost'"


def test_a_silent_peer_is_dropped_after_the_handshake_timeout(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, handshake_timeout_s=0.2), preload=False)
    with TestClient(app) as client:
        code, reason = closed(client, "/ws/exotel", {"event": "connected"})
    assert (code, reason) == (1008, "no start message in time")


async def test_a_recording_that_cannot_be_kept_does_not_cost_the_call_result(
    settings: Settings,
) -> None:
    class BrokenSpool(AppState):
        async def keep_recording(self, result: CallResult, recorder: CallRecorder) -> str | None:
            raise OSError(28, "No space left on device")

    state = BrokenSpool.from_settings(settings)
    at = datetime.now(UTC)
    result = CallResult(
        call_id="c1",
        transport="exotel",
        bot_id="b",
        started_at=at,
        ended_at=at,
        duration_s=1.0,
        disconnected_by="caller",
    )
    kept = await with_recording(state, result, CallRecorder(8000))
    assert kept == result and kept.recording is None
    state.outbox.close()
