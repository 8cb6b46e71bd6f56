"""LiveKit room calls on Modal: spawned into a container of their own, once per call id.

Locally the LiveKit routes run each room call as a task of the server (``RoomCalls``). On Modal
``SpawnedRoomCalls`` takes its place: the route's ``RoomCallRequest`` goes to the per-call
``Agent`` function (one input per container), so a call never shares CPU with other calls and
a crash ends one call. ``run_agent_call`` is that function's body.

Retries: Modal retries the function when it raises or its container dies. Once the call holds
its slot the bot may already be speaking (or, dialling out, the callee's phone ringing), so the
agent notes "talking" then; a retry that finds the note records the call as lost instead of
running it again. Before that, a failure is retried while attempts remain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from loguru import logger
from pydantic import ValidationError

from functions.livekit.agent import run_room_call
from functions.livekit.calls import RoomCalls
from functions.livekit.dialing import unstarted_result
from functions.livekit.request import RoomCallRequest
from functions.modal.calls import CallRegistry, Spawn, spawn_once
from shared.results import CallResult
from shared.tracker import CallTracker

if TYPE_CHECKING:
    from functions.state import AppState

CLOSE_INTERNAL = 1011
RunRoomCall = Callable[["AppState", RoomCallRequest], Awaitable[CallResult]]


class SpawnedRoomCalls(RoomCalls):
    """``RoomCalls`` whose calls run in spawned containers; ``status`` knows this container's."""

    def __init__(
        self, record: Callable[[CallResult], Awaitable[None]], spawn: Spawn, registry: CallRegistry
    ) -> None:
        super().__init__()
        self._record = record
        self._spawn = spawn
        self._registry = registry

    def start(self, request: RoomCallRequest, run: Callable[[], Awaitable[object]]) -> bool:
        return super().start(request, lambda: self._start(request))

    async def _start(self, request: RoomCallRequest) -> None:
        payload = request.model_dump(mode="json")
        try:
            spawned = await spawn_once(request.call_id, payload, self._spawn, self._registry)
        except Exception as error:
            logger.exception(f"call {request.call_id}: agent not spawned: {error}")
            reason = "could not start the call's agent"
            await self._record(unstarted_result(request, "error", CLOSE_INTERNAL, reason))
            return
        what = "spawned" if spawned.spawned else "already spawned"
        logger.info(f"call {request.call_id} ({request.route}): agent {what}")


class _NotingTracker(CallTracker):
    """The state's tracker, telling ``on_reserved`` when the call has its slot."""

    def __init__(self, inner: CallTracker, on_reserved: Callable[[str], Awaitable[None]]) -> None:
        self.limit = inner.limit
        self._inner = inner
        self._on_reserved = on_reserved

    async def reserve(self, call_id: str) -> None:
        await self._inner.reserve(call_id)
        await self._on_reserved(call_id)

    async def release(self, call_id: str) -> None:
        await self._inner.release(call_id)

    async def count(self) -> int:
        return await self._inner.count()

    def _keep(self, call_id: str) -> AbstractAsyncContextManager[None]:
        return self._inner._keep(call_id)


@asynccontextmanager
async def _noting(state: AppState, note: Callable[[str], Awaitable[None]]) -> AsyncIterator[None]:
    tracker = state.tracker
    state.tracker = _NotingTracker(tracker, note)
    try:
        yield
    finally:
        state.tracker = tracker


async def run_agent_call(
    state: AppState,
    payload: Mapping[str, Any],
    registry: CallRegistry | None,
    *,
    attempts: int = 3,
    run: RunRoomCall | None = None,
) -> str:
    """Run one spawned room call; returns how it ended. Raises only to be retried."""
    run = run or run_room_call
    try:
        request = RoomCallRequest.model_validate(dict(payload))
    except ValidationError as error:  # a bug upstream: retrying cannot fix it
        logger.error(f"agent refused a malformed call request: {error}")
        return "invalid"
    call_id, talked = request.call_id, False
    attempt = await registry.begin_attempt(call_id, attempts) if registry else attempts
    if registry and await registry.has_talked(call_id):
        reason = "the call's agent was lost mid-call; not retried"
        logger.error(f"call {call_id}: attempt {attempt}: {reason}")
        await state.record(unstarted_result(request, "error", CLOSE_INTERNAL, reason))
        return "lost"

    async def talking(_: str) -> None:
        nonlocal talked
        talked = True
        if registry:
            await registry.mark_talking(call_id)

    try:
        async with _noting(state, talking):
            result = await run(state, request)
    except Exception as error:
        if not talked and attempt < attempts:
            logger.warning(f"call {call_id}: attempt {attempt} failed before talking: {error!r}")
            raise
        logger.exception(f"call {call_id}: attempt {attempt} failed: {error}")
        await state.record(unstarted_result(request, "error", CLOSE_INTERNAL, "internal error"))
        return "error"
    return result.disconnected_by
