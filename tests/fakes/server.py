"""Serve an ASGI app on a real uvicorn, on 127.0.0.1 and a free port, in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from lab.local_server import free_port


@contextmanager
def serving(app: Any, **tls: Any) -> Iterator[str]:
    """Yields the base URL (``http://127.0.0.1:PORT``); the server stops on exit.

    ``tls`` takes uvicorn's ``ssl_certfile``/``ssl_keyfile``; the URL is then ``https://``.
    """
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **tls)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
