"""A fake LiveKit server API: Twirp with protobuf bodies, as ``livekit-api`` speaks it.

``POST /twirp/livekit.<Service>/<Method>`` checks the Bearer JWT with the API key and secret,
parses the protobuf request, records it, and answers a protobuf response or a Twirp JSON
error. Knobs make CreateRoom fail, or CreateSIPParticipant fail with a SIP status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf.message import Message
from livekit import api

API_KEY = "APIfakekey"
API_SECRET = "fake-livekit-secret-2b9e41c0d7a8"

METHODS: dict[tuple[str, str], tuple[type[Message], type[Message]]] = {
    ("RoomService", "CreateRoom"): (api.CreateRoomRequest, api.Room),
    ("RoomService", "DeleteRoom"): (api.DeleteRoomRequest, api.DeleteRoomResponse),
    ("SIP", "CreateSIPParticipant"): (api.CreateSIPParticipantRequest, api.SIPParticipantInfo),
    ("AgentDispatchService", "CreateDispatch"): (
        api.CreateAgentDispatchRequest,
        api.AgentDispatch,
    ),
}


@dataclass
class FakeLiveKit:
    api_key: str = API_KEY
    api_secret: str = API_SECRET
    calls: list[tuple[str, Message]] = field(default_factory=list)  # (method, request)
    rooms: set[str] = field(default_factory=set)
    unauthorized: int = 0
    fail_create_room: bool = False
    sip_status: tuple[int, str] | None = None  # e.g. (486, "Busy Here")

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def settings(self, url: str) -> dict[str, Any]:
        return {
            "livekit_url": url,
            "livekit_api_key": self.api_key,
            "livekit_api_secret": self.api_secret,
            "livekit_sip_outbound_trunk_id": "ST_outbound",
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/twirp/livekit.{service}/{method}")
        async def twirp(service: str, method: str, request: Request) -> Response:
            kinds = METHODS.get((service, method))
            if kinds is None:
                return error(404, "bad_route", f"no {service}/{method}")
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                api.TokenVerifier(self.api_key, self.api_secret).verify(token)
            except Exception:
                self.unauthorized += 1
                return error(401, "unauthenticated", "bad token")
            body = kinds[0].FromString(await request.body())
            self.calls.append((method, body))
            return self.answer(method, body, kinds[1])

        return app

    def answer(self, method: str, body: Any, reply: type[Message]) -> Response:
        if method == "CreateRoom":
            if self.fail_create_room:
                return error(503, "unavailable", "down")
            self.rooms.add(body.name)
            return protobuf(api.Room(name=body.name, sid=f"RM_{body.name}"))
        if method == "DeleteRoom":
            self.rooms.discard(body.room)
            return protobuf(api.DeleteRoomResponse())
        if method == "CreateSIPParticipant":
            if self.sip_status is not None:
                code, reason = self.sip_status
                meta = {"sip_status_code": str(code), "sip_status": reason}
                return error(400, "failed_precondition", reason, meta)
            info = api.SIPParticipantInfo(
                participant_id="PA_callee",
                participant_identity=body.participant_identity,
                room_name=body.room_name,
                sip_call_id="SCL_1",
            )
            return protobuf(info)
        return protobuf(reply())


def protobuf(message: Message) -> Response:
    return Response(message.SerializeToString(), media_type="application/protobuf")


def error(status: int, code: str, msg: str, meta: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, "meta": meta or {}}, status_code=status)
