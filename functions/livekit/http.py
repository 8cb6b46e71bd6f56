"""What the LiveKit routes share: parsing bodies at the edge, readiness, starting a room call."""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import HTTPException
from pydantic import BaseModel, ValidationError

from functions.livekit.agent import run_room_call
from functions.livekit.client import LiveKit
from functions.livekit.request import RoomCallRequest
from functions.state import AppState
from shared.config.bot import BotConfig
from shared.config.bridge import BridgeUnavailableError
from shared.config.source import BotConfigError

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], body: bytes) -> Model:
    """400 for a body that is not JSON, 422 naming each bad field."""
    try:
        json.loads(body)
    except ValueError:
        raise HTTPException(400, "body is not valid JSON") from None
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
            for problem in error.errors()
        ]
        raise HTTPException(422, "; ".join(problems)) from None


def ready(state: AppState) -> LiveKit:
    """The LiveKit settings, once the server is ready; 503 otherwise."""
    if not state.ready.is_set():
        raise HTTPException(503, "not ready: models are loading", {"Retry-After": "5"})
    livekit = LiveKit.from_settings(state.settings)
    if livekit is None:
        raise HTTPException(503, "LiveKit is not configured: set LIVEKIT_URL/API_KEY/API_SECRET")
    return livekit


async def bot_named(state: AppState, bot_id: str | None, number: str = "") -> BotConfig:
    """The bot asked for (or the one owning ``number``); 404 with the reason otherwise."""
    try:
        if bot_id:
            return await state.bots.by_id(bot_id)
        return await state.bots.by_number(number)
    except BridgeUnavailableError:
        raise HTTPException(503, "bot configs unavailable", {"Retry-After": "5"}) from None
    except (LookupError, BotConfigError) as error:
        reason = str(error.args[0]) if error.args else type(error).__name__
        raise HTTPException(404, reason) from None


def launch(state: AppState, request: RoomCallRequest) -> bool:
    """Start the call's worker; False for a call id already started (nothing happens)."""
    return state.room_calls.start(request, lambda: run_room_call(state, request))
