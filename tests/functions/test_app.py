"""The app factory: CORS only for the widget's configured origins."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from functions.app import create_app
from shared.settings import Settings

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def test_listed_origins_may_call_the_widget_and_others_may_not(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, widget_origins=["https://shop.example.com"])
    with TestClient(create_app(settings, preload=False)) as client:
        allowed = client.options(
            "/livekit/widget", headers={"Origin": "https://shop.example.com", **PREFLIGHT}
        )
        refused = client.options(
            "/livekit/widget", headers={"Origin": "https://evil.example.net", **PREFLIGHT}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "access-control-allow-origin" not in refused.headers


def test_no_origins_no_cors(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), preload=False)) as client:
        answer = client.options(
            "/livekit/widget", headers={"Origin": "https://shop.example.com", **PREFLIGHT}
        )
    assert "access-control-allow-origin" not in answer.headers
