"""The ASGI app factory: the same app runs under ``voxcore serve`` and on Modal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from functions.redaction import mask_secrets_in_loguru, redact_server_logs, secret_values
from functions.routes import attach, dialer, health, livekit, media, twilio_voice
from functions.state import AppState
from shared.settings import Settings, get_settings

SHUTDOWN_DELIVERY_S = 5.0


def create_app(settings: Settings | None = None, *, preload: bool = True) -> FastAPI:
    """Build the app. ``preload=False`` marks it ready at once (for tests of routes alone)."""
    settings = settings or get_settings()
    redact_server_logs()
    mask_secrets_in_loguru(secret_values(settings))
    state = AppState.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(state.load()) if preload else None
        if loading is None:
            state.ready.set()
        stop = asyncio.Event()
        delivering = asyncio.create_task(state.delivery.run_forever(stop))
        try:
            yield
        finally:
            if loading is not None and not loading.done():
                loading.cancel()
            stop.set()
            await delivering
            # What is due now gets one more try; what fails stays in the outbox for next time.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.delivery.run_once(), SHUTDOWN_DELIVERY_S)
            await state.close()

    app = FastAPI(title="VoxCore", version="0.1.0", lifespan=lifespan)
    app.state.voxcore = state
    if settings.widget_origins:
        # The widget is embedded on customers' sites: only their origins may call it, and
        # only the anonymous widget endpoint is worth calling from a page.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.widget_origins,
            allow_methods=["POST"],
            allow_headers=["content-type"],
        )
    app.include_router(health.router)
    app.include_router(media.router)
    app.include_router(twilio_voice.router)
    app.include_router(livekit.router)
    app.include_router(attach.router)
    app.include_router(dialer.router)
    return app
