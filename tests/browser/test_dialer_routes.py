"""The dialer's HTTP side without a browser: auth, the bot list, refusals before any media."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection
from fastapi.testclient import TestClient
from pydantic import SecretStr

from functions.app import create_app
from functions.routes import dialer
from functions.state import AppState
from shared.results import read_results
from shared.settings import Settings

BROKEN_SDP = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"  # audio, but nothing to connect to
OFFER = {"sdp": BROKEN_SDP, "type": "offer", "bot": "support-desk"}
BEARER = {"Authorization": "Bearer t0ken"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, media_token=SecretStr("t0ken"), max_concurrent_calls=1)
    with TestClient(create_app(settings, preload=False)) as client:
        yield client


def state(client: TestClient) -> AppState:
    return client.app.state.voxcore  # type: ignore[attr-defined,no-any-return]


def test_the_media_token_guards_page_bots_and_offer(client: TestClient) -> None:
    assert client.get("/dialer").status_code == 401
    assert client.get("/dialer/bots").status_code == 401
    assert client.post("/dialer/offer", json=OFFER).status_code == 401
    assert client.get("/dialer/bots", headers={"Authorization": "Bearer nope"}).status_code == 401
    page = client.get("/dialer?token=t0ken")
    assert page.status_code == 200 and "VoxCore dialer" in page.text
    assert client.get("/dialer/assets/dialer.js").status_code == 200
    assert client.get("/dialer/assets/..%2Fdialer.py").status_code == 404
    bots = client.get("/dialer/bots?token=t0ken").json()
    assert {"id": "support-desk", "name": "Acme support desk"} in bots


def test_an_unknown_bot_is_refused(client: TestClient) -> None:
    answer = client.post("/dialer/offer", json={**OFFER, "bot": "nobody"}, headers=BEARER)
    assert answer.status_code == 404


def test_a_full_server_refuses_before_answering(client: TestClient) -> None:
    tracker = state(client).tracker
    assert client.portal is not None
    client.portal.call(tracker.reserve, "held")
    answer = client.post("/dialer/offer", json=OFFER, headers=BEARER)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    client.portal.call(tracker.release, "held")


def test_a_bad_offer_gives_its_slot_back(client: TestClient) -> None:
    silent = {**OFFER, "sdp": "v=0\r\n"}
    assert client.post("/dialer/offer", json=silent, headers=BEARER).status_code == 400
    answer = client.post("/dialer/offer", json=OFFER, headers=BEARER)
    assert answer.status_code == 400, answer.text
    assert client.portal is not None
    assert client.portal.call(state(client).tracker.count) == 0


async def audio_offer() -> str:
    """A real offer with one audio transceiver, from a peer that will never connect."""
    peer = RTCPeerConnection()
    peer.addTransceiver("audio", direction="sendrecv")
    await peer.setLocalDescription(await peer.createOffer())
    sdp = str(peer.localDescription.sdp)
    await peer.close()
    return sdp


def test_a_browser_that_never_connects_frees_its_slot_with_a_result(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialer, "CONNECT_TIMEOUT_S", 0.5)
    assert client.portal is not None
    sdp = client.portal.call(audio_offer)
    answer = client.post("/dialer/offer", json={**OFFER, "sdp": sdp}, headers=BEARER)
    assert answer.status_code == 200, answer.text
    assert answer.json()["type"] == "answer"
    call_id = answer.json()["call_id"]
    tracker = state(client).tracker
    deadline = time.monotonic() + 30
    while client.portal.call(tracker.count) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.portal.call(tracker.count) == 0
    client.portal.call(state(client).delivery.run_once)
    result = next(r for r in read_results(tmp_path / "results.jsonl") if r["call_id"] == call_id)
    assert result["transport"] == "webrtc"
    assert result["close_reason"] == "browser never connected"
