"""``run_room_call``: one bot in one LiveKit room, from slot to result, for every LiveKit route.

Find the bot, take a call slot, dial out first for ``sip_outbound``, run the same pipeline as
a carrier call at 16 kHz, write the result before the slot is released. The room is deleted
when the bot is done (that hangs up a SIP caller), unless the caller was handed to an agent.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from livekit.api import SipCallError
from loguru import logger

from functions.call.handoff import AgentHandoff
from functions.call.pipeline import build_pipeline
from functions.call.session import CallSession
from functions.carriers.base import CLOSE_INTERNAL, CLOSE_POLICY, CLOSE_TRY_LATER
from functions.livekit.client import SAMPLE_RATE, LiveKit, LiveKitUnavailableError
from functions.livekit.dialing import dial_failed_result, unstarted_result
from functions.livekit.request import RoomCallRequest
from functions.livekit.room import ROOM_EVENTS, LiveKitHoldRoom, RoomGuard, room_transport
from shared.config.bot import BotConfig
from shared.config.source import BotConfigError
from shared.results import CallResult
from shared.scenarios import get as get_scenario
from shared.scenarios.base import Scenario
from shared.tracker import CapacityFullError, TrackerUnavailableError

if TYPE_CHECKING:
    from functions.state import AppState


async def find_room_bot(state: AppState, request: RoomCallRequest) -> BotConfig:
    if request.bot_id:
        return await state.bots.by_id(request.bot_id)
    return await state.bots.by_number(request.to_number)


async def run_room_call(state: AppState, request: RoomCallRequest) -> CallResult:
    """Serve one room call and record its result; never raises for a call's own failure."""
    livekit = LiveKit.from_settings(state.settings)
    result = await _run(state, livekit, request)
    await state.record(result)
    if livekit is not None and result.disconnected_by != "transfer_to_agent":
        await livekit.delete_room(request.room)
    logger.info(f"call {request.call_id} ({request.route}) ended: {result.close_reason}")
    return result


async def _run(state: AppState, livekit: LiveKit | None, request: RoomCallRequest) -> CallResult:
    if livekit is None:
        return unstarted_result(request, "error", CLOSE_INTERNAL, "LiveKit is not configured")
    try:
        bot = await find_room_bot(state, request)
        scenario = get_scenario(bot.scenario)
    except (LookupError, BotConfigError) as error:
        reason = str(error.args[0]) if error.args else type(error).__name__
        logger.warning(f"call {request.call_id} ({request.route}): refused: {reason}")
        return unstarted_result(request, "refused", CLOSE_POLICY, reason)
    async with contextlib.AsyncExitStack() as held:
        try:
            await held.enter_async_context(state.tracker.slot(request.call_id))
        except (CapacityFullError, TrackerUnavailableError, ValueError) as error:
            logger.warning(f"call {request.call_id} ({request.route}): refused: {error}")
            return unstarted_result(request, "refused", CLOSE_TRY_LATER, str(error))
        if request.route == "sip_outbound":
            try:
                await livekit.dial(request.room, request.to_number, request.from_number, "callee")
            except SipCallError as error:
                return dial_failed_result(request, bot, error)
            except LiveKitUnavailableError as error:
                logger.error(f"call {request.call_id}: could not dial: {error}")
                return unstarted_result(request, "error", CLOSE_INTERNAL, str(error))
        return await _serve(state, livekit, request, bot, scenario)


async def _serve(
    state: AppState, livekit: LiveKit, request: RoomCallRequest, bot: BotConfig, scenario: Scenario
) -> CallResult:
    """Run the pipeline in the room; its recording is kept like a carrier call's."""
    from functions.routes.media import with_recording  # the one helper both paths share

    try:
        transport = room_transport(livekit, request.room, request.call_id)
        call = build_pipeline(
            bot, scenario, transport, SAMPLE_RATE, state.credentials, events=ROOM_EVENTS
        )
        handoff = None
        if bot.handoff.enabled:
            prefix = state.settings.livekit_agent_prefix
            room = LiveKitHoldRoom(transport, call.worker, prefix)
            handoff = AgentHandoff(bot.handoff, state.outbox, room, request.room)
        session = CallSession(
            request.call(),
            bot,
            scenario,
            call,
            RoomGuard(),
            state.credentials,
            state.webhooks,
            handoff,
        )
        logger.info(f"call {request.call_id} ({request.route}): bot {bot.id} in {request.room}")
        result = await session.run()
    except Exception as error:
        logger.exception(f"call {request.call_id}: could not run: {error}")
        return unstarted_result(request, "error", CLOSE_INTERNAL, "internal error")
    if call.recorder is not None:
        result = await with_recording(state, result, call.recorder)
    return result
