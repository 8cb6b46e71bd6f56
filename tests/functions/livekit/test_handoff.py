"""The ``transfer_to_agent`` tool and its hold worker, with a room whose agent the test brings.

The handoff travels the real way: SQLite outbox -> worker -> signed HTTP -> the fake bridge's
``/v1/handoffs``, which fails the first attempts. The session is a stand-in holding exactly
what the handoff touches; the session's own duration limit runs for real against it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import EndFrame
from pipecat.processors.aggregators.llm_context import LLMContext
from pydantic import SecretStr

from functions.call.handoff import TRANSFER_TOOL, AgentHandoff
from functions.call.session import CallSession
from functions.call.tools import CallTools
from functions.livekit.room import RoomGuard
from shared import scenarios
from shared.calls import CallRequest
from shared.config.bot import BotConfig
from shared.config.handoff import HandoffSettings
from shared.handoff import HANDOFF
from shared.outbox import HttpSink, OutboxWorker, SqliteOutbox
from shared.outbox.sinks import RoutingSink
from shared.results import TranscriptTurn, now
from tests.fakes.bridge import FakeBridge, bot, running_bridge


async def wait_until(condition: Callable[[], object], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


class FakeRoom:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.played: list[str] = []
        self.agent = asyncio.Event()

    async def say(self, text: str) -> None:
        self.said.append(text)

    async def play(self, url: str) -> None:
        self.played.append(url)
        await asyncio.Event().wait()

    async def wait_for_agent(self) -> str:
        await self.agent.wait()
        return "agent-ann"


@pytest.fixture
def bridge() -> Iterator[FakeBridge]:
    with running_bridge({}) as fake:
        yield fake


@pytest.fixture
async def outbox(tmp_path: Path, bridge: FakeBridge) -> AsyncIterator[SqliteOutbox]:
    store = SqliteOutbox(tmp_path / "outbox.sqlite")
    sink = HttpSink(f"{bridge.url}/v1/handoffs", SecretStr(bridge.handoffs.secret), timeout=2)
    worker = OutboxWorker(store, RoutingSink({HANDOFF: sink}), base_delay_s=0.05, poll_s=0.05)
    stop = asyncio.Event()
    delivering = asyncio.create_task(worker.run_forever(stop))
    yield store
    stop.set()
    await delivering
    await sink.aclose()
    store.close()


def session(settings: HandoffSettings, max_duration_s: float = 600) -> Any:
    """What the handoff and the duration limit touch of a ``CallSession``."""
    config = BotConfig(**bot("desk", handoff=settings.model_dump(), limits={"max_duration_s": 1}))
    request = CallRequest("call-9", "livekit", "+15557654321", "+15550100100", "desk")
    tools = CallTools(request, config, scenarios.get(config.scenario), None)
    tools.record("get_order_status", {"order_number": "42"}, {})
    stand_in = SimpleNamespace(
        request=request,
        bot=config.model_copy(update={"limits": SimpleNamespace(max_duration_s=max_duration_s)}),
        transcript=[TranscriptTurn(role="caller", text="I want a person", at=now())],
        tools=tools,
        guard=RoomGuard(),
        call=SimpleNamespace(
            context=LLMContext(tools=ToolsSchema(standard_tools=[])),
            llms=[],
            worker=SimpleNamespace(queue_frame=AsyncMock()),
        ),
        hang_up=AsyncMock(),
    )
    return stand_in


def handoff_for(
    stand_in: Any, outbox: SqliteOutbox, room: FakeRoom, **changes: Any
) -> AgentHandoff:
    settings = HandoffSettings.model_construct(
        **(HandoffSettings(enabled=True, queue="billing").model_dump() | changes)
    )
    handoff = AgentHandoff(settings, outbox, room, "sip-room-9", watch_s=0.02)
    stand_in.handoff = handoff
    handoff.attach(stand_in)
    return handoff


async def test_handoff_reaches_the_bridge_once_holds_past_the_limit_and_leaves_for_the_agent(
    bridge: FakeBridge, outbox: SqliteOutbox
) -> None:
    bridge.handoffs.behaviour.fail_first = 2
    room = FakeRoom()
    stand_in = session(HandoffSettings(enabled=True), max_duration_s=0.05)
    handoff = handoff_for(
        stand_in, outbox, room, hold_mode="music", hold_music_url="https://x/m.wav"
    )
    limiter = asyncio.create_task(CallSession._limit_duration(stand_in))

    assert await handoff.transfer("caller asked for a person") == {
        "status": "transferring",
        "queue": "billing",
    }
    ending = stand_in.guard.ending
    assert ending is not None and ending.by == "transfer_to_agent"
    await wait_until(lambda: bridge.handoffs.stored, within_s=5)
    await asyncio.sleep(0.3)  # well past the 0.05 s maximum duration
    assert not limiter.done() and not stand_in.hang_up.called
    assert room.said == [handoff.settings.hold_message] and room.played == ["https://x/m.wav"]

    room.agent.set()
    await asyncio.wait_for(limiter, 2)  # the limit lets the agent have the call
    await wait_until(lambda: stand_in.call.worker.queue_frame.called, within_s=2)
    assert isinstance(stand_in.call.worker.queue_frame.call_args.args[0], EndFrame)
    assert handoff.state == "joined" and not stand_in.hang_up.called
    assert stand_in.guard.ending.by == "transfer_to_agent"

    assert len(bridge.handoffs.refused) == 2 and bridge.handoffs.posts == ["handoff:call-9"]
    sent = bridge.handoffs.stored["handoff:call-9"]
    assert (sent["room"], sent["queue"], sent["reason"]) == (
        "sip-room-9",
        "billing",
        "caller asked for a person",
    )
    assert sent["fields"] == {"order_number": "42"}
    assert sent["transcript"][0]["text"] == "I want a person"
    assert (await handoff.transfer("again")) == {"status": "already transferring"}


async def test_no_agent_in_time_gives_the_call_back_to_take_a_message(outbox: SqliteOutbox) -> None:
    room = FakeRoom()
    stand_in = session(HandoffSettings(enabled=True))
    handoff = handoff_for(
        stand_in, outbox, room, hold_mode="updates", update_every_s=0.05, hold_timeout_s=0.3
    )
    await handoff.transfer("billing question")
    await wait_until(lambda: handoff.state == "failed", within_s=3)
    settings = handoff.settings
    assert room.said[0] == settings.hold_message and settings.update_message in room.said
    assert room.said[-1] == settings.failure_message
    assert handoff.outcome == "timeout" and not handoff.holds_call
    assert stand_in.guard.ending is None  # the call goes on with the bot
    assert not stand_in.hang_up.called


async def test_a_handoff_the_bridge_refuses_for_good_ends_the_call_politely(
    bridge: FakeBridge, outbox: SqliteOutbox
) -> None:
    bridge.handoffs.behaviour.status = 422
    room = FakeRoom()
    stand_in = session(HandoffSettings(enabled=True))
    handoff = handoff_for(stand_in, outbox, room, on_failure="end_call")
    await handoff.transfer("x")
    await wait_until(lambda: handoff.state == "failed", within_s=3)
    assert handoff.outcome == "undeliverable" and room.said[-1] == handoff.settings.failure_message
    stand_in.hang_up.assert_awaited_once()
    assert stand_in.hang_up.call_args.args[0] == "bot"


async def test_a_handoff_that_cannot_be_queued_is_never_claimed(tmp_path: Path) -> None:
    broken = SqliteOutbox(tmp_path / "o.sqlite")
    broken.close()
    room = FakeRoom()
    stand_in = session(HandoffSettings(enabled=True))
    handoff = handoff_for(stand_in, broken, room)
    assert await handoff.transfer("x") == {"error": "handoff unavailable"}
    await wait_until(lambda: handoff.state == "failed", within_s=2)
    assert stand_in.guard.ending is None and room.said == [handoff.settings.failure_message]


async def test_the_tool_is_offered_recorded_and_lets_the_hold_speak(outbox: SqliteOutbox) -> None:
    stand_in = session(HandoffSettings(enabled=True))
    handoff = handoff_for(stand_in, outbox, FakeRoom())
    tools = stand_in.call.context.tools
    assert [schema.name for schema in tools.standard_tools] == [TRANSFER_TOOL]
    answered = AsyncMock()
    await handoff._tool(
        SimpleNamespace(arguments={"reason": "wants a human"}, result_callback=answered)
    )
    (record,) = [call for call in stand_in.tools.records if call.name == TRANSFER_TOOL]
    assert record.result == {"status": "transferring", "queue": "billing"} and record.error is None
    assert answered.call_args.kwargs["properties"].run_llm is False
    await handoff.aclose()
