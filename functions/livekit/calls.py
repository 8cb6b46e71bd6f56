"""Per-call workers for LiveKit rooms, started once per call id.

Here each call is a background task of the server (holding its call slot inside
``run_room_call``); on Modal the same request is handed to a spawned per-call function. A
repeated start for a known call id (a retried webhook, an attach sent twice) starts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Literal

from loguru import logger

from functions.livekit.request import RoomCallRequest

Status = Literal["running", "finished"]
REMEMBER = 10_000


class RoomCalls:
    def __init__(self, remember: int = REMEMBER) -> None:
        self.remember = remember
        self._known: OrderedDict[str, Status] = OrderedDict()
        self._tasks: set[asyncio.Task[object]] = set()

    def status(self, call_id: str) -> Status | None:
        return self._known.get(call_id)

    def start(self, request: RoomCallRequest, run: Callable[[], Awaitable[object]]) -> bool:
        """Start ``run`` for a new call id; False (and nothing started) for a known one."""
        if request.call_id in self._known:
            return False
        self._known[request.call_id] = "running"
        while len(self._known) > self.remember:
            self._known.popitem(last=False)
        task = asyncio.create_task(self._run(request.call_id, run))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, call_id: str, run: Callable[[], Awaitable[object]]) -> None:
        try:
            await run()
        except Exception as error:  # run_room_call records its own failures; this is a bug
            logger.exception(f"call {call_id}: room call failed: {error}")
        finally:
            self._known[call_id] = "finished"

    async def wait(self) -> None:
        """Until every started call has finished (tests, and a graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.wait()
