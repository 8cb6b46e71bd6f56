"""Liveness (the process answers) and readiness (models loaded, call slots reachable)."""

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
    error = state.load_error
    try:
        active: int | None = await state.tracker.count()
    except TrackerUnavailableError as unavailable:
        # Every call would be refused until the shared slots are back: send calls elsewhere.
        active, error = None, str(unavailable)
    ready = state.ready.is_set() and active is not None
    body = {
        "ready": ready,
        "active_calls": active,
        "max_calls": state.tracker.limit,
        "models_loaded_s": state.load_seconds,
        "error": error,
    }
    return JSONResponse(body, status_code=200 if ready else 503)
