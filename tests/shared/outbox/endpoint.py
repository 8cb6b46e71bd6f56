"""A real results endpoint for fault tests: FastAPI under uvicorn on 127.0.0.1, in a thread.

It behaves as the delivery contract asks a bridge to: verify the signature, store each
Idempotency-Key once, answer 200 to a repeat. Knobs make it fail, hang or dawdle.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response

from shared.outbox import verify_signature

SECRET = "test-bridge-secret-7f3a"


@dataclass
class Behaviour:
    fail_first: int = 0  # answer 500 to this many POSTs (before recording them)
    hang_first: int = 0  # sleep hang_s on this many POSTs (before recording them)
    hang_s: float = 0.0
    delay_s: float = 0.0  # after recording: the bridge committed, the ack is slow
    status: int | None = None  # answer every POST with this status, recording nothing


@dataclass
class Endpoint:
    behaviour: Behaviour = field(default_factory=Behaviour)
    posts: list[str] = field(default_factory=list)  # every verified POST's key, in order
    stored: dict[str, Any] = field(default_factory=dict)  # key -> payload, deduped
    bad_signatures: int = 0
    last_headers: dict[str, str] = field(default_factory=dict)
    last_body: bytes = b""
    url: str = ""

    @property
    def duplicates(self) -> int:
        return len(self.posts) - len(self.stored)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/results")
        async def results(request: Request) -> Response:
            body = await request.body()
            self.last_headers, self.last_body = dict(request.headers), body
            ok = verify_signature(
                SECRET,
                request.headers.get("x-voxcore-timestamp", ""),
                body,
                request.headers.get("x-voxcore-signature", ""),
            )
            if not ok:
                self.bad_signatures += 1
                return Response(status_code=401)
            b = self.behaviour
            if b.status is not None:
                return Response(status_code=b.status)
            if b.fail_first > 0:
                b.fail_first -= 1
                return Response(status_code=500)
            if b.hang_first > 0:
                b.hang_first -= 1
                await asyncio.sleep(b.hang_s)
                return Response(status_code=503)
            key = request.headers["idempotency-key"]
            self.posts.append(key)
            self.stored.setdefault(key, await request.json())
            if b.delay_s:
                await asyncio.sleep(b.delay_s)
            return Response(status_code=200)

        @app.post("/status/{code}")
        async def status(code: int) -> Response:
            return Response(status_code=code)

        return app


class Server:
    """Runs an ``Endpoint`` on a given (or free) port until ``stop``."""

    def __init__(self, endpoint: Endpoint, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        endpoint.url = f"http://127.0.0.1:{self.port}/results"
        config = uvicorn.Config(
            endpoint.app(),
            log_level="warning",
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("endpoint did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()
