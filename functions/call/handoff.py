"""``transfer_to_agent``: hand a caller in a LiveKit room to a human, and keep them company.

The tool queues a durable ``HandoffRequest`` (outbox kind ``handoff``, to the bridge's
Agent Desk) and starts a hold worker: a hold message, music or periodic updates until an
agent joins the room (the bot then leaves), or ``hold_timeout_s`` passes, or the request is
refused for good (a dead letter). Then ``on_failure`` decides: take a message, or end politely.
The room is an interface (``HoldRoom``) so the worker runs in tests without LiveKit media.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any, Literal, Protocol

from loguru import logger
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import EndFrame, FunctionCallResultProperties
from pipecat.services.llm_service import FunctionCallParams

from functions.carriers.base import CLOSE_NORMAL
from shared.config.handoff import HandoffSettings
from shared.handoff import HANDOFF, HandoffRequest
from shared.outbox.base import OutboxStore
from shared.results import TranscriptTurn, now
from shared.scenarios.base import END_CALL_TOOL

if TYPE_CHECKING:
    from functions.call.session import CallSession

TRANSFER_TOOL = "transfer_to_agent"
TRANSFER_SCHEMA = FunctionSchema(
    name=TRANSFER_TOOL,
    description="Hand the caller to a human colleague when they ask for one or you cannot help.",
    properties={"reason": {"type": "string", "description": "why, in a few words"}},
    required=["reason"],
)
HANDED_OVER = "caller handed to an agent"
Outcome = Literal["agent", "timeout", "undeliverable"]


class HoldRoom(Protocol):
    """The room the caller holds in, as the hold worker needs it."""

    async def say(self, text: str) -> None: ...

    async def play(self, url: str) -> None:
        """Play hold music until cancelled."""

    async def wait_for_agent(self) -> str:
        """Return the identity of the first agent who joins."""


class AgentHandoff:
    """One call's handoff: the tool, the hold worker, and whether the call is handed off."""

    def __init__(
        self,
        settings: HandoffSettings,
        outbox: OutboxStore,
        room: HoldRoom,
        room_name: str,
        *,
        watch_s: float = 0.5,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.room = room
        self.room_name = room_name
        self.watch_s = watch_s
        self.state: Literal["idle", "holding", "joined", "failed"] = "idle"
        self.outcome: Outcome | None = None
        self._session: CallSession | None = None
        self._hold: asyncio.Task[None] | None = None

    @property
    def holds_call(self) -> bool:
        """While holding or handed over, the call outlives the route's maximum duration."""
        return self.state in ("holding", "joined")

    def attach(self, session: CallSession) -> None:
        """Offer the tool to every LLM of the call (the primary and its fallbacks)."""
        self._session = session
        tools = session.call.context.tools
        if isinstance(tools, ToolsSchema):
            tools.standard_tools.append(TRANSFER_SCHEMA)
        else:
            session.call.context.set_tools(ToolsSchema(standard_tools=[TRANSFER_SCHEMA]))
        for llm in session.call.llms:
            llm.register_function(TRANSFER_TOOL, self._tool)

    async def _tool(self, params: FunctionCallParams) -> None:
        arguments = dict(params.arguments)
        result = await self.transfer(str(arguments.get("reason", "")))
        session = self._require()
        session.tools.record(TRANSFER_TOOL, arguments, result, result.get("error"))
        # The hold worker speaks next; the LLM must not talk over it.
        await params.result_callback(result, properties=FunctionCallResultProperties(run_llm=False))

    async def transfer(self, reason: str) -> dict[str, Any]:
        """Queue the handoff durably and start holding; a failure goes to ``on_failure``."""
        session = self._require()
        if self.state in ("holding", "joined"):
            return {"status": "already transferring"}
        request = self.request(session, reason)
        try:
            await asyncio.to_thread(self.outbox.enqueue, HANDOFF, request.key, request)
        except Exception as error:
            logger.error(f"call {request.call_id}: handoff not queued: {type(error).__name__}")
            self._start(self._fail("undeliverable"))
            return {"error": "handoff unavailable"}
        session.guard.end(CLOSE_NORMAL, HANDED_OVER, "transfer_to_agent")
        self.state = "holding"
        logger.info(f"call {request.call_id}: handed to queue {self.settings.queue}, holding")
        self._start(self._run_hold(request.key))
        return {"status": "transferring", "queue": self.settings.queue}

    def request(self, session: CallSession, reason: str) -> HandoffRequest:
        fields: dict[str, Any] = {}
        for call in session.tools.records:
            if call.error is None and call.name not in (END_CALL_TOOL.name, TRANSFER_TOOL):
                fields.update(call.arguments)
        return HandoffRequest(
            call_id=session.request.call_id,
            room=self.room_name,
            bot_id=session.bot.id,
            tenant=session.bot.tenant,
            queue=self.settings.queue,
            reason=reason,
            from_number=session.request.from_number,
            to_number=session.request.to_number,
            transcript=list(session.transcript),
            fields=fields,
            requested_at=now(),
            hold_timeout_s=self.settings.hold_timeout_s,
        )

    def _start(self, work: Any) -> None:
        # The session's own task: Pipecat cancels a tool call's task on barge-in.
        self._hold = asyncio.create_task(work)

    async def _run_hold(self, key: str) -> None:
        company = asyncio.create_task(self._keep_company())
        try:
            self.outcome = await self._wait(key)
        finally:
            company.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await company
        if self.outcome == "agent":
            self.state = "joined"
            session = self._require()
            logger.info(f"call {session.request.call_id}: agent joined; the bot leaves")
            await session.call.worker.queue_frame(EndFrame(reason=HANDED_OVER))
        else:
            await self._fail(self.outcome)

    async def _wait(self, key: str) -> Outcome:
        """The agent, the hold timeout, or the bridge refusing the request for good."""
        agent = asyncio.create_task(self.room.wait_for_agent())
        deadline = time.monotonic() + self.settings.hold_timeout_s
        try:
            while True:
                left = deadline - time.monotonic()
                done, _ = await asyncio.wait({agent}, timeout=max(0.0, min(self.watch_s, left)))
                if done:
                    return "agent"
                message = await asyncio.to_thread(self.outbox.find, key)
                if message is not None and message.state == "dead":
                    return "undeliverable"
                if time.monotonic() >= deadline:
                    return "timeout"
        finally:
            agent.cancel()

    async def _keep_company(self) -> None:
        settings = self.settings
        await self._say(settings.hold_message)
        if settings.hold_mode == "music" and settings.hold_music_url:
            await self.room.play(settings.hold_music_url)
        while settings.hold_mode == "updates":
            await asyncio.sleep(settings.update_every_s)
            await self._say(settings.update_message)

    async def _say(self, text: str) -> None:
        self._require().transcript.append(TranscriptTurn(role="bot", text=text, at=now()))
        await self.room.say(text)

    async def _fail(self, outcome: Outcome) -> None:
        """No agent: the call is the bot's again (take a message), or it ends politely."""
        session = self._require()
        self.state, self.outcome = "failed", outcome
        logger.warning(f"call {session.request.call_id}: handoff failed ({outcome})")
        if session.guard.ending is not None and session.guard.ending.by == "transfer_to_agent":
            session.guard.ending = None
        await self._say(self.settings.failure_message)
        if self.settings.on_failure == "end_call":
            await session.hang_up("bot", f"handoff failed: {outcome}", unless_caller_speaks=False)

    def _require(self) -> CallSession:
        if self._session is None:
            raise RuntimeError("AgentHandoff.attach(session) first")
        return self._session

    async def aclose(self) -> None:
        if self._hold is not None:
            self._hold.cancel()
