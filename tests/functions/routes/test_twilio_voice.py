"""``POST /twilio/voice``: TwiML for known numbers, a polite refusal otherwise, signatures."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from pydantic import SecretStr

from functions.app import create_app
from functions.carriers.twilio import stream_token_valid
from functions.routes.twilio_voice import twilio_signature
from shared.settings import Settings

FORM = {"CallSid": "CA42", "From": "+15551112222", "To": "+15550100200"}


def test_twiml_connects_the_stream_with_the_bot(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), preload=False)) as client:
        response = client.post("/twilio/voice", data=FORM)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    stream = ElementTree.fromstring(response.text).find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == "ws://testserver/ws/twilio"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert params == {"bot": "clinic-booking", "from": "+15551112222", "to": "+15550100200"}


def test_unknown_number_hears_a_refusal(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), preload=False)) as client:
        response = client.post("/twilio/voice", data={**FORM, "To": "+19999999999"})
    assert "<Hangup/>" in response.text and "not in service" in response.text


def test_signature_is_checked_and_a_stream_token_issued(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        twilio_auth_token=SecretStr("tw-secret"),
        public_url="https://voice.example.com",
    )
    with TestClient(create_app(settings, preload=False)) as client:
        assert client.post("/twilio/voice", data=FORM).status_code == 403
        bad = {"X-Twilio-Signature": "AAAA"}
        assert client.post("/twilio/voice", data=FORM, headers=bad).status_code == 403
        good = twilio_signature("tw-secret", "https://voice.example.com/twilio/voice", FORM)
        response = client.post("/twilio/voice", data=FORM, headers={"X-Twilio-Signature": good})
    assert response.status_code == 200
    stream = ElementTree.fromstring(response.text).find("./Connect/Stream")
    assert stream is not None and stream.get("url") == "wss://voice.example.com/ws/twilio"
    token = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}["token"]
    assert token is not None and stream_token_valid("tw-secret", "CA42", token)


def test_missing_call_sid_is_a_bad_request(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), preload=False)) as client:
        assert client.post("/twilio/voice", data={"To": "+15550100200"}).status_code == 400


def test_no_free_slot_is_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_concurrent_calls=1)
    with TestClient(create_app(settings, preload=False)) as client:
        tracker = client.app.state.voxcore.tracker  # type: ignore[attr-defined]
        client.portal.call(tracker.reserve, "CA-busy")  # type: ignore[union-attr]
        response = client.post("/twilio/voice", data=FORM)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        client.portal.call(tracker.release, "CA-busy")  # type: ignore[union-attr]
        assert client.post("/twilio/voice", data=FORM).status_code == 200
