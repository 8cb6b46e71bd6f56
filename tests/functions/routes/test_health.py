"""Liveness always answers; readiness waits for the models."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from functions.app import create_app
from lab.local_server import free_port
from shared.settings import Settings


def test_health_and_readiness(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=tmp_path), preload=False)
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok"}
        body = client.get("/ready").json()
        assert (body["ready"], body["active_calls"], body["max_calls"]) == (True, 0, 8)
        app.state.voxcore.ready.clear()
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["ready"] is False


def test_readiness_with_unreachable_call_slots(tmp_path: Path) -> None:
    url = SecretStr(f"redis://127.0.0.1:{free_port()}")
    settings = Settings(data_dir=tmp_path, tracker_url=url)
    with TestClient(create_app(settings, preload=False)) as client:
        client.app.state.voxcore.ready.set()  # type: ignore[attr-defined]
        answer = client.get("/ready")
    body = answer.json()
    assert answer.status_code == 503 and body["ready"] is False
    assert (body["active_calls"], body["max_calls"]) == (None, 8)
    assert body["error"] == "call slots unavailable"
