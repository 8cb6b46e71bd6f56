"""LiveKit routes: SIP callers in (webhook), calls out, and the web widget's token.

Each answers synchronously what it can check (signature, body, bot, LiveKit's API) and hands
the call to ``run_room_call`` through ``state.room_calls``, once per call id.
"""

from __future__ import annotations

import hmac
import uuid

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from loguru import logger
from pydantic import BaseModel, ConfigDict, Field

from functions.carriers.base import CLOSE_POLICY
from functions.livekit.client import (
    NOT_CONFIGURED,
    WIDGET_TOKEN_TTL,
    LiveKit,
    LiveKitUnavailableError,
)
from functions.livekit.dialing import unstarted_result
from functions.livekit.http import bot_named, launch, parse, ready
from functions.livekit.request import RoomCallRequest
from functions.livekit.webhook import WebhookRefusedError, sip_caller, verify
from functions.state import AppState

router = APIRouter(prefix="/livekit")
NUMBER = r"^\+?[0-9]{3,20}$"


class OutboundCall(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_number: str = Field(alias="from", pattern=NUMBER, description="the caller ID shown")
    to_number: str = Field(alias="to", pattern=NUMBER)
    bot: str | None = Field(None, description="unset: the bot whose DIDs hold `from`")
    call_id: str | None = Field(None, min_length=1, max_length=128)


class WidgetSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bot: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=64, description="the visitor's display name")


@router.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    state: AppState = request.app.state.voxcore
    livekit = LiveKit.from_settings(state.settings)
    if livekit is None:
        raise HTTPException(503, "LiveKit is not configured")
    try:
        event = verify(livekit, await request.body(), request.headers.get("authorization", ""))
    except WebhookRefusedError as refused:
        logger.warning(f"livekit webhook refused: {refused.reason}")
        raise HTTPException(refused.status, refused.reason) from None
    caller = sip_caller(event)
    if caller is None:
        return JSONResponse({"status": "ignored", "event": event.event})
    call = RoomCallRequest(
        call_id=caller.call_id,
        route="sip_inbound",
        room=caller.room,
        from_number=caller.from_number,
        to_number=caller.to_number,
    )
    if state.room_calls.status(call.call_id) is None:
        try:
            await bot_named(state, None, caller.to_number)
        except HTTPException as refused:
            if refused.status_code == 404:  # nobody answers this DID: hang the caller up
                await livekit.delete_room(caller.room)
                await state.record(unstarted_result(call, "refused", CLOSE_POLICY, refused.detail))
            raise
    launch(state, call)
    return JSONResponse({"status": "started", "call_id": call.call_id, "room": call.room})


def _authorized(request: Request, state: AppState) -> bool:
    """Bearer ``VOXCORE_LIVEKIT_API_TOKEN`` (or ``VOXCORE_MEDIA_TOKEN``). With neither set,
    only a request that cannot place a call (LiveKit not configured: "queued") gets through:
    this route dials real phone numbers, so it never runs open."""
    expected = state.settings.livekit_api_token or state.settings.media_token
    if expected is None:
        return LiveKit.from_settings(state.settings) is None
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(offered.encode(), expected.get_secret_value().encode())


@router.post("/outbound", status_code=202)
async def outbound(request: Request) -> JSONResponse:
    state: AppState = request.app.state.voxcore
    if not _authorized(request, state):
        raise HTTPException(401, "unauthorized", {"WWW-Authenticate": "Bearer"})
    order = parse(OutboundCall, await request.body())
    if LiveKit.from_settings(state.settings) is None:
        return JSONResponse({"status": "queued", "detail": NOT_CONFIGURED}, status_code=202)
    livekit = ready(state)
    if not livekit.outbound_trunk_id:
        raise HTTPException(503, "LIVEKIT_SIP_OUTBOUND_TRUNK_ID is not set")
    bot = await bot_named(state, order.bot, order.from_number)
    call_id = order.call_id or uuid.uuid4().hex
    call = RoomCallRequest(
        call_id=call_id,
        route="sip_outbound",
        room=f"call-{call_id}",
        bot_id=bot.id,
        from_number=order.from_number,
        to_number=order.to_number,
    )
    answer = {"status": "dialing", "call_id": call_id, "room": call.room, "bot": bot.id}
    if state.room_calls.status(call_id) is not None:
        return JSONResponse(answer, status_code=202)
    await _create_room(livekit, call.room)
    if not launch(state, call):
        await livekit.delete_room(call.room)
    return JSONResponse(answer, status_code=202)


@router.post("/widget")
async def widget(request: Request) -> JSONResponse:
    """A visitor's token for a fresh room that the bot joins; the bot must be listed in
    ``VOXCORE_WIDGET_BOTS`` (an anonymous page must not start any bot it names)."""
    state: AppState = request.app.state.voxcore
    order = parse(WidgetSession, await request.body())
    livekit = ready(state)
    if order.bot not in state.settings.widget_bots:
        raise HTTPException(404, f"no widget bot {order.bot!r}")
    bot = await bot_named(state, order.bot)
    call_id = uuid.uuid4().hex
    room, identity = f"widget-{call_id}", f"visitor-{call_id[:12]}"
    await _create_room(livekit, room)
    token = livekit.token(room, identity, ttl=WIDGET_TOKEN_TTL, name=order.name or "Visitor")
    launch(state, RoomCallRequest(call_id=call_id, route="widget", room=room, bot_id=bot.id))
    return JSONResponse(
        {
            "url": livekit.url,
            "room": room,
            "identity": identity,
            "token": token,
            "expires_in": int(WIDGET_TOKEN_TTL.total_seconds()),
            "call_id": call_id,
            "bot": bot.id,
        }
    )


async def _create_room(livekit: LiveKit, room: str) -> None:
    try:
        await livekit.create_room(room)
    except LiveKitUnavailableError as error:
        logger.error(f"livekit: {error}")
        raise HTTPException(502, "LiveKit is unavailable") from None
