"""Liveness always answers; readiness waits for the models."""

from __future__ import annotations

from fastapi.testclient import TestClient

from functions.app import create_app
from shared.settings import Settings


def test_health_and_readiness(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=tmp_path), preload=False)
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/ready").json()["ready"] is True
        app.state.voxcore.ready.clear()
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["ready"] is False
