"""A fake bridge (the config API that owns bots and call history) on a real uvicorn, 127.0.0.1.

Its two GETs serve bots; ``POST /v1/call-results`` and ``POST /v1/handoffs`` take signed
call results and handoff requests into :class:`~tests.fakes.results.ResultsInbox`es, as
``docs/results-delivery.md`` asks a bridge to.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lab.local_server import free_port
from shared.config.bot import BotConfig
from tests.fakes.results import ResultsInbox


def bot(bot_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": bot_id,
        "name": f"Bot {bot_id}",
        "scenario": "support_desk",
        "greeting": "Hello.",
        "dids": ["+91 80 4000 1000"] if bot_id == "alpha" else [],
    }
    return body | changes


@dataclass
class FakeBridge:
    """The bridge's two GETs, answering per ``mode`` (ok | error | hang), and its results inbox
    (which fails or hangs per ``results.behaviour``), until ``stop``."""

    port: int
    bots: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: str = "ok"
    requests: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    results: ResultsInbox = field(default_factory=ResultsInbox)
    handoffs: ResultsInbox = field(
        default_factory=ResultsInbox
    )  # Agent Desk handoffs, signed alike
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server_env(self, token: str = "bridge-token") -> dict[str, str]:
        """What a ``voxcore serve`` needs to take bots from here and deliver results here."""
        return {
            "VOXCORE_BRIDGE_URL": self.url,
            "VOXCORE_BRIDGE_TOKEN": token,
            "VOXCORE_BRIDGE_SECRET": self.results.secret,
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        async def answer(request: Request, body: dict[str, Any] | None) -> JSONResponse:
            self.requests.append(request.url.path)
            self.auth.append(request.headers.get("authorization"))
            # Polled: ``mode`` is flipped from the test's thread, which has its own event loop.
            while self.mode == "hang":  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            if self.mode == "error":
                return JSONResponse({"detail": "boom"}, status_code=500)
            if body is None:
                return JSONResponse({"detail": "no such bot"}, status_code=404)
            return JSONResponse(body)

        @app.get("/v1/bots/{bot_id}")
        async def by_id(bot_id: str, request: Request) -> JSONResponse:
            return await answer(request, self.bots.get(bot_id))

        @app.get("/v1/numbers/{digits}/bot")
        async def by_number(digits: str, request: Request) -> JSONResponse:
            found = [b for b in self.bots.values() if digits in BotConfig(**b).dids]
            return await answer(request, found[0] if found else None)

        @app.post("/v1/call-results")
        async def call_results(request: Request) -> Response:
            return await self.results.receive(request)

        @app.post("/v1/handoffs")
        async def handoffs(request: Request) -> Response:
            return await self.handoffs.receive(request)

        return app

    def start(self) -> None:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 5
        while not self.server.started:
            assert time.monotonic() < deadline, "fake bridge did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self.mode = "ok"
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=5)
        self.server = self.thread = None


@contextmanager
def running_bridge(bots: dict[str, dict[str, Any]]) -> Iterator[FakeBridge]:
    """A started fake bridge on a free port, stopped afterwards."""
    fake = FakeBridge(free_port(), bots=bots)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
