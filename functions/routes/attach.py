"""``POST /attach``: a campaign dialler hands over a call it has placed and screened.

The dialler owns the SIP leg and the LiveKit room; VoxCore's bot joins that answered room.
The request is signed like the outbox's deliveries (``X-VoxCore-Timestamp`` and
``X-VoxCore-Signature: sha256=HMAC(VOXCORE_ATTACH_SECRET, "<ts>." + body)``, 300 s window),
and idempotent by ``call_id``: a repeat answers the same and starts nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field

from functions.livekit.http import bot_named, launch, parse, ready
from functions.livekit.request import RoomCallRequest
from functions.state import AppState
from shared.outbox import verify_signature

router = APIRouter()
WINDOW_S = 300


class Attach(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    call_id: str = Field(min_length=1, max_length=128)
    room: str = Field(min_length=1, max_length=256)
    bot: str = Field(min_length=1, max_length=64)
    from_number: str = Field("", alias="from", max_length=32)
    to_number: str = Field("", alias="to", max_length=32)


@router.post("/attach", status_code=202)
async def attach(request: Request) -> JSONResponse:
    state: AppState = request.app.state.voxcore
    secret = state.settings.attach_secret
    if secret is None:
        raise HTTPException(503, "attach is not configured: set VOXCORE_ATTACH_SECRET")
    body = await request.body()
    signed = verify_signature(
        secret,
        request.headers.get("x-voxcore-timestamp", ""),
        body,
        request.headers.get("x-voxcore-signature", ""),
        tolerance_s=WINDOW_S,
    )
    if not signed:
        logger.warning("attach refused: missing, wrong or stale signature")
        raise HTTPException(401, "bad or stale signature")
    order = parse(Attach, body)
    ready(state)
    answer = {"status": "accepted", "call_id": order.call_id, "room": order.room}
    if state.room_calls.status(order.call_id) is None:
        bot = await bot_named(state, order.bot)
        call = RoomCallRequest(
            call_id=order.call_id,
            route="attach",
            room=order.room,
            bot_id=bot.id,
            from_number=order.from_number,
            to_number=order.to_number,
        )
        launch(state, call)
    return JSONResponse(answer, status_code=202)
