"""The per-call agent's body and the spawning ``RoomCalls``, with the backends Modal containers
share held by in-memory STAND-INs for ``modal.Dict`` (tests/shared/tracker/fake_modal.py).

A room call's media needs a LiveKit server, so the room call itself is replaced by scripted
ones that take the slot, write a result, or fail before or after the call holds its slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from functions.livekit.request import RoomCallRequest
from functions.modal import backends
from functions.modal.calls import CallRegistry
from functions.modal.containers import agent_state
from functions.modal.rooms import SpawnedRoomCalls, run_agent_call
from functions.state import AppState
from shared.outbox.modal import ModalDictOutbox
from shared.results import CallResult, now
from shared.settings import Settings
from shared.tracker.modal import ModalDictCallTracker
from tests.shared.tracker.fake_modal import FakeModal

REQUEST = RoomCallRequest(call_id="lk-1", route="attach", room="room-1", bot_id="support-desk")
PAYLOAD = REQUEST.model_dump(mode="json")


class ContainerDied(BaseException):
    """What the agent sees of its container being killed: nothing it may catch."""


@pytest.fixture
def modal(monkeypatch: pytest.MonkeyPatch) -> FakeModal:
    fake = FakeModal()
    monkeypatch.setattr(backends, "dict_named", fake.dict)
    return fake


@pytest.fixture
async def state(tmp_path: Path, modal: FakeModal) -> AsyncIterator[AppState]:
    settings = Settings(
        data_dir=tmp_path, tracker_dict="slots", outbox_dict="outbox", calls_dict="calls"
    )
    state = agent_state(settings, load_seconds=None)
    assert isinstance(state.tracker, ModalDictCallTracker)
    assert isinstance(state.outbox, ModalDictOutbox)
    yield state
    await state.close()


def result(request: RoomCallRequest, by: Any = "caller") -> CallResult:
    at = now()
    return CallResult(
        call_id=request.call_id, transport="livekit", bot_id=request.bot_id, started_at=at,
        ended_at=at, duration_s=0.0, disconnected_by=by,
    )  # fmt: skip


async def served(state: AppState, request: RoomCallRequest) -> CallResult:
    async with state.tracker.slot(request.call_id):
        done = result(request)
        await state.record(done)
        return done


async def fails_before_its_slot(state: AppState, request: RoomCallRequest) -> CallResult:
    raise RuntimeError("the bridge answered garbage")


async def fails_mid_call(state: AppState, request: RoomCallRequest) -> CallResult:
    async with state.tracker.slot(request.call_id):
        raise RuntimeError("the pipeline crashed")


async def dies_mid_call(state: AppState, request: RoomCallRequest) -> CallResult:
    async with state.tracker.slot(request.call_id):
        raise ContainerDied


def results(state: AppState) -> list[dict[str, Any]]:
    return [m.payload for m in state.outbox.list() if m.kind == "call_result"]


def registry(modal: FakeModal) -> CallRegistry:
    return CallRegistry(modal.dict("calls"))


async def test_a_spawned_call_holds_a_shared_slot_and_writes_its_result(
    state: AppState, modal: FakeModal
) -> None:
    assert await run_agent_call(state, PAYLOAD, registry(modal), run=served) == "caller"
    assert [r["call_id"] for r in results(state)] == ["lk-1"]
    assert await state.tracker.count() == 0
    assert await registry(modal).has_talked("lk-1")


async def test_a_failure_before_talking_is_retried_while_attempts_remain(
    state: AppState, modal: FakeModal
) -> None:
    for _ in range(2):  # attempts 1 and 2 raise, so that Modal runs the input again
        with pytest.raises(RuntimeError):
            await run_agent_call(state, PAYLOAD, registry(modal), run=fails_before_its_slot)
    assert results(state) == []
    outcome = await run_agent_call(state, PAYLOAD, registry(modal), run=fails_before_its_slot)
    assert outcome == "error"  # the last attempt records the failure instead
    [failed] = results(state)
    assert (failed["disconnected_by"], failed["close_reason"]) == ("error", "internal error")


async def test_a_retry_succeeds_where_the_first_attempt_failed_early(
    state: AppState, modal: FakeModal
) -> None:
    with pytest.raises(RuntimeError):
        await run_agent_call(state, PAYLOAD, registry(modal), run=fails_before_its_slot)
    assert await run_agent_call(state, PAYLOAD, registry(modal), run=served) == "caller"
    assert [r["disconnected_by"] for r in results(state)] == ["caller"]


async def test_a_failure_after_talking_is_not_retried(state: AppState, modal: FakeModal) -> None:
    assert await run_agent_call(state, PAYLOAD, registry(modal), run=fails_mid_call) == "error"
    assert [r["close_reason"] for r in results(state)] == ["internal error"]
    assert await state.tracker.count() == 0


async def test_a_container_lost_mid_call_is_recorded_not_replayed(
    state: AppState, modal: FakeModal
) -> None:
    with pytest.raises(ContainerDied):
        await run_agent_call(state, PAYLOAD, registry(modal), run=dies_mid_call)
    replayed: list[str] = []

    async def must_not_run(state: AppState, request: RoomCallRequest) -> CallResult:
        replayed.append(request.call_id)
        return await served(state, request)

    # Modal runs the input again in a fresh container: it must not call the caller twice.
    assert await run_agent_call(state, PAYLOAD, registry(modal), run=must_not_run) == "lost"
    assert replayed == []
    [lost] = results(state)
    assert lost["close_reason"] == "the call's agent was lost mid-call; not retried"


async def test_a_malformed_request_is_refused_without_retries(state: AppState) -> None:
    assert await run_agent_call(state, {"call_id": "x", "route": "fax"}, None) == "invalid"


async def test_routes_in_many_containers_spawn_one_agent_per_call(modal: FakeModal) -> None:
    spawned: list[dict[str, Any]] = []
    recorded: list[CallResult] = []

    async def spawn(payload: dict[str, Any]) -> str:
        spawned.append(payload)
        return "fc-1"

    async def record(done: CallResult) -> None:
        recorded.append(done)

    containers = [SpawnedRoomCalls(record, spawn, registry(modal)) for _ in range(3)]
    assert all(calls.start(REQUEST, lambda: asyncio.sleep(0)) for calls in containers)
    assert not containers[0].start(REQUEST, lambda: asyncio.sleep(0))  # known here already
    await asyncio.gather(*(calls.wait() for calls in containers))
    assert spawned == [PAYLOAD] and recorded == []
    assert RoomCallRequest.model_validate(spawned[0]) == REQUEST  # well-formed on arrival


async def test_a_spawn_that_fails_leaves_a_result(modal: FakeModal) -> None:
    recorded: list[CallResult] = []

    async def spawn(payload: dict[str, Any]) -> str:
        raise ConnectionError("Modal unreachable")

    async def record(done: CallResult) -> None:
        recorded.append(done)

    calls = SpawnedRoomCalls(record, spawn, registry(modal))
    calls.start(REQUEST, lambda: asyncio.sleep(0))
    await calls.wait()
    [failed] = recorded
    assert (failed.call_id, failed.disconnected_by) == ("lk-1", "error")
    assert failed.close_reason == "could not start the call's agent"
