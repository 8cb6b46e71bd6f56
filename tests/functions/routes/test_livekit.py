"""LiveKit routes against a fake Twirp server: signatures, bodies, bots, and what gets created.

The per-call worker is replaced by a recorder (media over LiveKit needs a LiveKit server);
what the routes ask of LiveKit's API goes over real HTTP with protobuf bodies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf.json_format import MessageToJson
from livekit import api
from livekit.protocol.models import ParticipantInfo
from livekit.protocol.webhook import WebhookEvent
from pydantic import SecretStr

from functions.app import create_app
from functions.livekit.calls import RoomCalls
from functions.livekit.client import NOT_CONFIGURED
from functions.livekit.request import RoomCallRequest
from shared.outbox import sign
from shared.settings import Settings
from tests.fakes.livekit import API_KEY, API_SECRET, FakeLiveKit
from tests.fakes.server import serving

TOKEN = "api-t0ken"
ATTACH_SECRET = "attach-secret-91c2"


class Launched(RoomCalls):
    """Records each started call instead of joining a room."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[RoomCallRequest] = []

    def start(self, request: RoomCallRequest, run: Callable[[], Awaitable[object]]) -> bool:
        if self.status(request.call_id) is not None:
            return False
        self._known[request.call_id] = "running"
        self.requests.append(request)
        return True


@dataclass
class Env:
    client: TestClient
    livekit: FakeLiveKit
    launched: Launched
    data_dir: Path

    def outbox_rows(self) -> list[dict[str, Any]]:
        return [m.payload for m in self.client.app.state.voxcore.outbox.list()]  # type: ignore[attr-defined]


def environment(tmp_path: Path, livekit: bool = True, **settings: Any) -> Iterator[Env]:
    fake = FakeLiveKit()
    with serving(fake.app()) as url:
        values = fake.settings(url) if livekit else {}
        defaults = {
            "livekit_api_token": SecretStr(TOKEN),
            "attach_secret": SecretStr(ATTACH_SECRET),
            "widget_bots": ["support-desk"],
        }
        config = Settings(data_dir=tmp_path, **(defaults | values | settings))
        app = create_app(config, preload=False)
        launched = Launched()
        app.state.voxcore.room_calls = launched
        with TestClient(app) as client:
            yield Env(client, fake, launched, tmp_path)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from environment(tmp_path)


# --- SIP inbound: POST /livekit/webhook ----------------------------------------------------
def sip_joined(did: str = "+15550100100", room: str = "sip-room-1", **changes: Any) -> WebhookEvent:
    attributes = {
        "sip.trunkPhoneNumber": did,
        "sip.phoneNumber": "+15557654321",
        "sip.callID": f"SCL_{room}",
    }
    participant = ParticipantInfo(
        identity="sip_caller", sid="PA_1", kind=ParticipantInfo.Kind.SIP, attributes=attributes
    )
    values: dict[str, Any] = {
        "event": "participant_joined",
        "id": "EV_1",
        "room": api.Room(name=room),
        "participant": participant,
        "created_at": int(time.time()),
    }
    return WebhookEvent(**(values | changes))


def signed(body: str, secret: str = API_SECRET, ttl: timedelta = timedelta(minutes=5)) -> str:
    """As LiveKit signs a webhook: a JWT with the body's SHA-256 as a claim."""
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken(API_KEY, secret).with_sha256(digest).with_ttl(ttl).to_jwt()


def post_webhook(env: Env, body: str, token: str | None) -> Any:
    headers = {"Content-Type": "application/webhook+json"}
    if token is not None:
        headers["Authorization"] = token
    return env.client.post("/livekit/webhook", content=body, headers=headers)


def test_sip_caller_for_a_did_starts_its_bot_once(env: Env) -> None:
    body = MessageToJson(sip_joined())
    first = post_webhook(env, body, signed(body))
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "started", "call_id": "SCL_sip-room-1", "room": "sip-room-1"}
    # LiveKit retries a webhook it thinks failed: the same call is not started twice.
    assert post_webhook(env, body, signed(body)).status_code == 200
    (request,) = env.launched.requests
    assert request.route == "sip_inbound" and request.to_number == "+15550100100"
    assert request.from_number == "+15557654321" and request.room == "sip-room-1"


def test_other_events_are_ignored(env: Env) -> None:
    standard = sip_joined()
    standard.participant.kind = ParticipantInfo.Kind.STANDARD
    for event in (sip_joined(event="room_started"), standard):
        body = MessageToJson(event)
        answer = post_webhook(env, body, signed(body))
        assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert env.launched.requests == []


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong secret", "body changed", "expired token", "stale event", "not a jwt"],
)
def test_webhooks_not_signed_by_livekit_are_refused(env: Env, how: str) -> None:
    body = MessageToJson(sip_joined())
    token: str | None = signed(body)
    if how == "unsigned":
        token = None
    elif how == "wrong secret":
        token = signed(body, secret="not-the-secret-at-all-0000000000000000")
    elif how == "body changed":
        body = body.replace("+15557654321", "+15550000000")
    elif how == "expired token":
        token = signed(body, ttl=timedelta(minutes=-5))
    elif how == "stale event":
        body = MessageToJson(sip_joined(created_at=int(time.time()) - 3600))
        token = signed(body)
    else:
        token = "Bearer nonsense"
    answer = post_webhook(env, body, token)
    assert answer.status_code == 401, answer.text
    assert env.launched.requests == [] and env.livekit.calls == []


def test_webhook_with_a_signed_malformed_body_is_refused(env: Env) -> None:
    body = '{"event": "participant_joined", "room": '
    answer = post_webhook(env, body, signed(body))
    assert answer.status_code == 400 and "not a LiveKit webhook" in answer.json()["detail"]


def test_unknown_did_hangs_up_and_leaves_a_refused_result(env: Env) -> None:
    body = MessageToJson(sip_joined(did="+15559999999", room="sip-room-2"))
    answer = post_webhook(env, body, signed(body))
    assert answer.status_code == 404 and "+15559999999" in answer.json()["detail"]
    assert env.launched.requests == []
    assert env.livekit.methods() == ["DeleteRoom"]
    (result,) = env.outbox_rows()
    assert result["disconnected_by"] == "refused" and result["call_id"] == "SCL_sip-room-2"


# --- SIP outbound: POST /livekit/outbound --------------------------------------------------
def outbound(env: Env, body: Any, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    content = body if isinstance(body, str) else json.dumps(body)
    return env.client.post("/livekit/outbound", content=content, headers=headers)


CALL = {"from": "+15550100100", "to": "+15557654321"}


def test_outbound_creates_the_room_and_starts_the_dialling_call(env: Env) -> None:
    answer = outbound(env, CALL | {"call_id": "out-1"})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "status": "dialing",
        "call_id": "out-1",
        "room": "call-out-1",
        "bot": "support-desk",
    }
    assert env.livekit.rooms == {"call-out-1"}
    (request,) = env.launched.requests
    assert (request.route, request.bot_id, request.to_number) == (
        "sip_outbound",
        "support-desk",
        "+15557654321",
    )


@pytest.mark.parametrize("token", [None, "wrong"])
def test_outbound_needs_the_api_token(env: Env, token: str | None) -> None:
    answer = outbound(env, CALL, token=token)
    assert answer.status_code == 401
    assert env.livekit.calls == [] and env.launched.requests == []


def test_outbound_never_runs_open_when_it_could_dial(tmp_path: Path) -> None:
    """No token configured: with LiveKit set up, placing calls is refused outright."""
    for env in environment(tmp_path, livekit_api_token=None):
        assert outbound(env, CALL, token=None).status_code == 401
        assert env.livekit.calls == [] and env.launched.requests == []


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"to": "+15557654321"}, 422, "from: Field required"),
        ({"from": "+15550100100", "to": "call me"}, 422, "to: String should match"),
        ("{not json", 400, "body is not valid JSON"),
        (CALL | {"bot": "nobody"}, 404, "nobody"),
        ({"from": "+15550000001", "to": "+15557654321"}, 404, "15550000001"),
    ],
)
def test_outbound_bad_input_creates_nothing(env: Env, body: Any, status: int, detail: str) -> None:
    answer = outbound(env, body)
    assert answer.status_code == status and detail in answer.json()["detail"], answer.text
    assert env.livekit.calls == [] and env.launched.requests == []


def test_outbound_without_livekit_stays_queued(tmp_path: Path) -> None:
    for env in environment(tmp_path, livekit=False):
        answer = outbound(env, CALL)
        assert answer.status_code == 202
        assert answer.json() == {"status": "queued", "detail": NOT_CONFIGURED}
        assert outbound(env, {"to": "+15557654321"}).status_code == 422


def test_outbound_reports_livekit_down(env: Env) -> None:
    env.livekit.fail_create_room = True
    answer = outbound(env, CALL)
    assert answer.status_code == 502 and answer.json()["detail"] == "LiveKit is unavailable"
    assert env.launched.requests == []


# --- Web widget: POST /livekit/widget ------------------------------------------------------
def test_widget_token_joins_only_its_room_for_ten_minutes(env: Env) -> None:
    answer = env.client.post("/livekit/widget", json={"bot": "support-desk", "name": "Ann"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    claims = api.TokenVerifier(API_KEY, API_SECRET).verify(body["token"])
    assert claims.identity == body["identity"] and claims.name == "Ann"
    assert claims.video is not None and claims.video.room_join and claims.video.room == body["room"]
    assert not claims.video.room_admin and not claims.video.room_create
    raw = json.loads(base64.urlsafe_b64decode(body["token"].split(".")[1] + "=="))
    assert 590 <= raw["exp"] - time.time() <= 600
    assert env.livekit.rooms == {body["room"]}
    (request,) = env.launched.requests
    assert (request.route, request.room, request.bot_id) == ("widget", body["room"], "support-desk")


@pytest.mark.parametrize(
    ("body", "status"),
    [({"bot": "clinic-booking"}, 404), ({"bot": "nobody"}, 404), ({}, 422), ("[", 400)],
)
def test_widget_refuses_bots_not_offered_and_bad_bodies(env: Env, body: Any, status: int) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    answer = env.client.post("/livekit/widget", content=content)
    assert answer.status_code == status, answer.text
    assert env.livekit.calls == [] and env.launched.requests == []


# --- Campaign attach: POST /attach ---------------------------------------------------------
ATTACH = {"call_id": "camp-1", "room": "dialler-room-1", "bot": "support-desk", "to": "+1555"}


def attach(env: Env, body: Any, *, secret: str = ATTACH_SECRET, age_s: int = 0) -> Any:
    content = (body if isinstance(body, str) else json.dumps(body)).encode()
    timestamp = int(time.time()) - age_s
    headers = {
        "X-VoxCore-Timestamp": str(timestamp),
        "X-VoxCore-Signature": sign(secret, timestamp, content),
    }
    return env.client.post("/attach", content=content, headers=headers)


def test_attach_joins_the_answered_room_once_per_call_id(env: Env) -> None:
    first = attach(env, ATTACH)
    assert first.status_code == 202, first.text
    again = attach(env, ATTACH)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    (request,) = env.launched.requests
    assert (request.route, request.room, request.bot_id) == (
        "attach",
        "dialler-room-1",
        "support-desk",
    )
    assert env.livekit.calls == []  # the dialler owns the room and the SIP leg


@pytest.mark.parametrize("how", ["unsigned", "wrong secret", "replayed late", "body changed"])
def test_attach_refuses_what_the_dialler_did_not_sign_just_now(env: Env, how: str) -> None:
    if how == "unsigned":
        answer = env.client.post("/attach", json=ATTACH)
    elif how == "wrong secret":
        answer = attach(env, ATTACH, secret="guess")
    elif how == "replayed late":
        answer = attach(env, ATTACH, age_s=301)
    else:
        body = json.dumps(ATTACH).encode()
        timestamp = str(int(time.time()))
        headers = {
            "X-VoxCore-Timestamp": timestamp,
            "X-VoxCore-Signature": sign(ATTACH_SECRET, timestamp, body),
        }
        answer = env.client.post(
            "/attach", content=body.replace(b"camp-1", b"camp-2"), headers=headers
        )
    assert answer.status_code == 401
    assert env.launched.requests == []


@pytest.mark.parametrize(
    ("body", "status"),
    [(ATTACH | {"bot": "nobody"}, 404), ({"call_id": "x", "bot": "support-desk"}, 422), ("{", 400)],
)
def test_attach_bad_input(env: Env, body: Any, status: int) -> None:
    answer = attach(env, body)
    assert answer.status_code == status, answer.text
    assert env.launched.requests == []
