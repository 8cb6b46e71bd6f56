"""A real redis-server of the tests' own (Debian's package), and every tracker backend.

The server listens on 127.0.0.1 at a free port, so a redis-server the package started on 6379
does not matter. Without redis-server the Redis tests skip, except under CI, where they fail:
CI must install it (``make services``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import redis

from lab.local_server import free_port
from shared.tracker import CallTracker, InProcessCallTracker, RedisCallTracker
from shared.tracker.modal import ModalDictCallTracker
from tests.shared.tracker.fake_modal import FakeModalDict

MakeTracker = Callable[..., Awaitable[CallTracker]]


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """A throwaway redis-server: nothing saved, answering PING before this returns."""
    options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2, socket_timeout=0.5)
    deadline = time.monotonic() + 10
    try:
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                pytest.fail(f"redis-server exited ({process.returncode}):\n{output[-2000:]}")
            try:
                if client.ping():
                    return process
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    stop_redis(process)
                    pytest.fail(f"redis-server on port {port} did not answer PING within 10 s")
                time.sleep(0.02)
    finally:
        client.close()


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        reason = "redis-server not on PATH (apt-get install redis-server, or `make services`)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must install it")
        pytest.skip(reason)
    port = free_port()
    process = start_redis(port)
    yield f"redis://127.0.0.1:{port}/0"
    stop_redis(process)


@pytest.fixture
def key_prefix() -> str:
    """Each test its own slots on the shared server."""
    return f"test:{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_trackers(redis_url: str, key_prefix: str) -> AsyncIterator[MakeTracker]:
    """Redis trackers sharing this test's slots, each with its own connections."""
    made: list[RedisCallTracker] = []

    async def make(limit: int, **options: object) -> CallTracker:
        tracker = RedisCallTracker(redis_url, limit, key_prefix=key_prefix, **options)  # type: ignore[arg-type]
        made.append(tracker)
        return tracker

    yield make
    for tracker in made:
        await tracker.aclose()


@pytest.fixture
def modal_trackers() -> MakeTracker:
    """Trackers sharing one in-memory STAND-IN for a ``modal.Dict`` (no Modal server here)."""
    slots = FakeModalDict("call-slots")

    async def make(limit: int, **options: object) -> CallTracker:
        return ModalDictCallTracker(slots, limit, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture(params=["in-process", "redis", "modal-dict"])
def make_tracker(request: pytest.FixtureRequest) -> MakeTracker:
    """One backend per run of a contract test; the Redis one starts redis-server on demand."""
    if request.param in ("redis", "modal-dict"):
        fixture = "redis_trackers" if request.param == "redis" else "modal_trackers"
        make: MakeTracker = request.getfixturevalue(fixture)
        return make

    async def in_process(limit: int, **_: object) -> CallTracker:
        return InProcessCallTracker(limit)

    return in_process
