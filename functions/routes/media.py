"""Carrier media WebSockets: ``/ws/exotel``, ``/ws/twilio``, ``/ws/dialler``.

One handler serves every carrier: authenticate, read the carrier's start message, find the
bot, take a call slot, run the call, write its result, release the slot, close with a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import uuid

from fastapi import APIRouter, WebSocket
from loguru import logger

from functions.call.pipeline import build_pipeline, carrier_transport
from functions.call.recorder import CallRecorder
from functions.call.session import CallSession
from functions.carriers.base import (
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    CarrierProtocol,
    ProtocolViolation,
    StartInfo,
)
from functions.carriers.dialler import DiallerProtocol
from functions.carriers.exotel import ExotelProtocol
from functions.carriers.guard import GuardedWebSocket
from functions.carriers.twilio import TwilioProtocol
from functions.state import AppState
from shared.config.bot import BotConfig
from shared.config.source import BotConfigError, BotNotFoundError
from shared.results import CallResult, DisconnectedBy
from shared.scenarios import get as get_scenario
from shared.scenarios.base import Scenario
from shared.tracker import CapacityFullError, TrackerUnavailableError

router = APIRouter()


def authorized(websocket: WebSocket, state: AppState) -> bool:
    """Media sockets present ``VOXCORE_MEDIA_TOKEN`` as ``?token=`` or a Bearer header."""
    expected = state.settings.media_token
    if expected is None:
        return True
    header = websocket.headers.get("authorization", "")
    offered = websocket.query_params.get("token") or header.removeprefix("Bearer ").strip()
    return hmac.compare_digest(offered.encode(), expected.get_secret_value().encode())


async def read_start(
    guard: GuardedWebSocket, protocol: CarrierProtocol, query: dict[str, str]
) -> StartInfo | None:
    """Messages up to and including ``start``; None when the peer left or broke the protocol."""
    while (message := await guard.receive_message()) is not None:
        if message["event"] in protocol.pre_start_events:
            continue
        try:
            return protocol.parse_start(message, query)
        except ProtocolViolation as violation:
            guard.end(violation.code, violation.reason, "error")
            logger.warning(f"{protocol.kind}: refused start: {violation.reason}")
            return None
    return None


async def find_bot(state: AppState, start: StartInfo) -> BotConfig:
    request = start.request
    if request.bot_id:
        return await state.bots.by_id(request.bot_id)
    if not request.to_number:
        raise BotNotFoundError("no bot named and no dialled number to look one up")
    return await state.bots.by_number(request.to_number)


def unstarted_result(start: StartInfo, by: DisconnectedBy, code: int, reason: str) -> CallResult:
    """The result of a call that never got a pipeline: refused, or failed to build."""
    request = start.request
    return CallResult.unstarted(
        call_id=request.call_id,
        transport=request.transport,
        bot_id=request.bot_id,
        from_number=request.from_number,
        to_number=request.to_number,
        by=by,
        code=code,
        reason=reason,
    )


async def run_media_call(websocket: WebSocket, protocol: CarrierProtocol) -> None:
    state: AppState = websocket.app.state.voxcore
    settings = state.settings
    await websocket.accept()
    guard = GuardedWebSocket(websocket, protocol, max_message_bytes=settings.max_message_bytes)
    guard.call_id = f"pending-{uuid.uuid4().hex[:8]}"
    if not authorized(websocket, state):
        logger.warning(f"{protocol.kind}: refused unauthenticated media socket")
        guard.end(CLOSE_POLICY, "unauthorized", "refused")
    elif not state.ready.is_set():
        guard.end(CLOSE_TRY_LATER, "not ready: models are loading", "refused")
    else:
        try:
            query = dict(websocket.query_params)
            start = await asyncio.wait_for(
                read_start(guard, protocol, query), settings.handshake_timeout_s
            )
        except TimeoutError:
            logger.warning(f"{protocol.kind}: no start within {settings.handshake_timeout_s} s")
            guard.end(CLOSE_POLICY, "no start message in time", "error")
            start = None
        if start is not None:
            await serve_call(state, guard, protocol, start)
    await guard.close()


async def serve_call(
    state: AppState, guard: GuardedWebSocket, protocol: CarrierProtocol, start: StartInfo
) -> None:
    request = start.request
    guard.call_id = request.call_id
    try:
        bot = await find_bot(state, start)
        scenario = get_scenario(bot.scenario)
    except (LookupError, BotConfigError) as error:
        reason = str(error.args[0]) if error.args else type(error).__name__
        logger.warning(f"call {request.call_id} ({protocol.kind}): refused: {reason}")
        guard.end(CLOSE_POLICY, reason, "refused")
        await state.record(unstarted_result(start, "refused", CLOSE_POLICY, reason))
        return
    async with contextlib.AsyncExitStack() as held:
        try:
            await held.enter_async_context(state.tracker.slot(request.call_id))
        except (CapacityFullError, TrackerUnavailableError, ValueError) as error:
            logger.warning(f"call {request.call_id} ({protocol.kind}): refused: {error}")
            guard.end(CLOSE_TRY_LATER, str(error), "refused")
            return
        await run_call(state, guard, protocol, start, bot, scenario)


async def run_call(
    state: AppState,
    guard: GuardedWebSocket,
    protocol: CarrierProtocol,
    start: StartInfo,
    bot: BotConfig,
    scenario: Scenario,
) -> None:
    """Run a call that holds its slot; its result is written before the slot is released."""
    request = start.request
    result: CallResult | None = None
    try:
        guard.started = True
        serializer = protocol.serializer(start)
        transport = carrier_transport(guard.as_websocket(), serializer, request.sample_rate)
        call = build_pipeline(bot, scenario, transport, request.sample_rate, state.credentials)
        session = CallSession(
            request, bot, scenario, call, guard, state.credentials, state.webhooks
        )
        caller = request.from_number or "-"
        logger.info(f"call {request.call_id} ({protocol.kind}): bot {bot.id} from {caller}")
        result = await session.run()
        if call.recorder is not None:
            result = await with_recording(state, result, call.recorder)
    except Exception as error:
        logger.exception(f"call {request.call_id}: could not run: {error}")
        guard.end(CLOSE_INTERNAL, "internal error", "error")
        result = unstarted_result(start, "error", CLOSE_INTERNAL, "internal error")
    finally:
        if result is not None:
            await state.record(result)
        ending = guard.ending.reason if guard.ending else "unknown"
        logger.info(f"call {request.call_id} ended: {ending}")


async def with_recording(state: AppState, result: CallResult, recorder: CallRecorder) -> CallResult:
    """The result, saying where its recording goes; a recording that fails costs only itself."""
    try:
        location = await state.keep_recording(result, recorder)
    except Exception as error:
        logger.exception(f"call {result.call_id}: recording not kept: {error}")
        return result
    return result.model_copy(update={"recording": location})


@router.websocket("/ws/exotel")
async def exotel(websocket: WebSocket) -> None:
    await run_media_call(websocket, ExotelProtocol())


@router.websocket("/ws/twilio")
async def twilio(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.voxcore
    await run_media_call(websocket, TwilioProtocol(state.stream_secret))


@router.websocket("/ws/dialler")
async def dialler(websocket: WebSocket) -> None:
    await run_media_call(websocket, DiallerProtocol())
