"""Spawning once per call id, through an in-memory STAND-IN for ``modal.Dict`` (no Modal server
is reachable from tests): duplicates from many containers start one agent, a failed spawn can
be retried, attempts are numbered once each."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from functions.modal.calls import CallRegistry, spawn_once
from tests.shared.tracker.fake_modal import FakeModalDict


class Spawner:
    def __init__(self, fail: bool = False) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail = fail

    async def __call__(self, payload: dict[str, Any]) -> str:
        await asyncio.sleep(0.01)  # a network round trip, during which duplicates arrive
        if self.fail:
            raise ConnectionError("Modal unreachable")
        self.payloads.append(payload)
        return f"fc-{len(self.payloads)}"


async def test_a_call_id_spawns_one_agent_however_often_it_is_asked() -> None:
    calls, spawner = FakeModalDict("calls"), Spawner()
    containers = [CallRegistry(calls) for _ in range(4)]  # the routes of four containers
    outcomes = await asyncio.gather(
        *(spawn_once("c1", {"call_id": "c1"}, spawner, containers[i % 4]) for i in range(20))
    )
    assert spawner.payloads == [{"call_id": "c1"}]
    assert sum(outcome.spawned for outcome in outcomes) == 1
    later = await spawn_once("c1", {"call_id": "c1"}, spawner, containers[0])
    assert (later.spawned, later.function_call_id) == (False, "fc-1")


async def test_a_failed_spawn_can_be_retried() -> None:
    registry = CallRegistry(FakeModalDict("calls"))
    with pytest.raises(ConnectionError):
        await spawn_once("c2", {"call_id": "c2"}, Spawner(fail=True), registry)
    spawner = Spawner()
    outcome = await spawn_once("c2", {"call_id": "c2"}, spawner, registry)
    assert outcome.spawned and spawner.payloads == [{"call_id": "c2"}]


async def test_attempts_are_numbered_and_talking_is_remembered() -> None:
    registry = CallRegistry(FakeModalDict("calls"))
    assert [await registry.begin_attempt("c3", 3) for _ in range(4)] == [1, 2, 3, 4]
    assert await registry.begin_attempt("other", 3) == 1
    assert not await registry.has_talked("c3")
    await registry.mark_talking("c3")
    assert await CallRegistry(registry._dict).has_talked("c3")  # any container sees it
