"""A real results endpoint for fault tests: FastAPI under uvicorn on 127.0.0.1, in a thread.

What it does with a POST is :class:`tests.fakes.results.ResultsInbox`'s (verify, store each
Idempotency-Key once, fail or hang on cue), shared with the fake bridge.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI, Request, Response

from tests.fakes.results import SECRET, Behaviour, ResultsInbox

__all__ = ["SECRET", "Behaviour", "Endpoint", "Server"]


@dataclass
class Endpoint(ResultsInbox):
    """The inbox at ``/results``, plus ``/status/{code}`` answering just that status."""

    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/results")
        async def results(request: Request) -> Response:
            return await self.receive(request)

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
