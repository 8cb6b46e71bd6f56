"""Liveness (the process answers) and readiness (models loaded: send calls here)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from functions.state import AppState
from shared.tracker import TrackerUnavailableError

router = APIRouter()


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    state: AppState = request.app.state.voxcore
    try:
        active: int | None = await state.tracker.count()
    except TrackerUnavailableError:
        active = None  # shared slots unreachable: calls are refused until they are back
    body = {
        "ready": state.ready.is_set(),
        "active_calls": active,
        "max_calls": state.tracker.limit,
        "models_loaded_s": state.load_seconds,
        "error": state.load_error,
    }
    return JSONResponse(body, status_code=200 if state.ready.is_set() else 503)
