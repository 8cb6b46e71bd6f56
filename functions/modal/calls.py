"""Spawning one agent container per call, once per call id, with its record in a ``modal.Dict``.

``Function.spawn`` has no idempotency key, so the call id is made one here: the first
``put(skip_if_exists=True)`` of ``spawned:<call id>`` wins, and a webhook delivered twice (LiveKit
and diallers retry), even to two containers, starts one agent, not two. The same Dict numbers
the agent's attempts and notes when a call started talking, so that a retry never replays a
call the caller already heard.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


class CallRegistry:
    """One ``modal.Dict`` (or the tests' stand-in) for every call's spawn, attempts and talking."""

    def __init__(self, calls: Any) -> None:
        self._dict = calls

    async def claim_spawn(self, call_id: str) -> bool:
        """True for the first caller with this call id: it, and only it, spawns the agent."""
        created: bool = await self._dict.put.aio(
            f"spawned:{call_id}", {"at": time.time(), "function_call_id": None}, skip_if_exists=True
        )
        return created

    async def spawned(self, call_id: str, function_call_id: str) -> None:
        await self._dict.put.aio(
            f"spawned:{call_id}", {"at": time.time(), "function_call_id": function_call_id}
        )

    async def function_call_id(self, call_id: str) -> str | None:
        record = await self._dict.get.aio(f"spawned:{call_id}")
        return record.get("function_call_id") if record else None

    async def forget_spawn(self, call_id: str) -> None:
        """The spawn failed, so nothing runs: a retried webhook may spawn again."""
        await self._dict.pop.aio(f"spawned:{call_id}", None)

    async def begin_attempt(self, call_id: str, limit: int) -> int:
        """This attempt's number (1, 2, ...): the first free ``attempt:<id>:<n>``."""
        for attempt in range(1, limit + 1):
            key = f"attempt:{call_id}:{attempt}"
            if await self._dict.put.aio(key, time.time(), skip_if_exists=True):
                return attempt
        return limit + 1

    async def mark_talking(self, call_id: str) -> None:
        await self._dict.put.aio(f"talking:{call_id}", time.time())

    async def has_talked(self, call_id: str) -> bool:
        talked: bool = await self._dict.contains.aio(f"talking:{call_id}")
        return talked


@dataclass(frozen=True)
class Spawned:
    call_id: str
    spawned: bool  # False: this call id was spawned before, and nothing new was started
    function_call_id: str | None


# Hands a payload to the per-call function and returns its FunctionCall id; in modal_app:
# ``(await Agent().run_call.spawn.aio(payload)).object_id``.
Spawn = Callable[[dict[str, Any]], Awaitable[str]]


async def spawn_once(
    call_id: str, payload: dict[str, Any], spawn: Spawn, registry: CallRegistry
) -> Spawned:
    """Spawn the agent for ``call_id`` unless some container already did."""
    if not await registry.claim_spawn(call_id):
        return Spawned(call_id, False, await registry.function_call_id(call_id))
    try:
        function_call_id = await spawn(payload)
    except BaseException:
        await registry.forget_spawn(call_id)
        raise
    await registry.spawned(call_id, function_call_id)
    return Spawned(call_id, True, function_call_id)
