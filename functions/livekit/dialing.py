"""Results of room calls that never reached a conversation: refused, failed, or not answered.

A dial-out that fails carries the callee's SIP answer (LiveKit's ``CreateSIPParticipant``
error metadata): busy and declines read as the callee's doing, ring timeouts as no answer,
anything else as a failure. The disposition lands in the result's analysis like a call's.
"""

from __future__ import annotations

from typing import Literal

from livekit.api import SipCallError

from functions.livekit.request import RoomCallRequest
from shared.config.bot import BotConfig
from shared.results import CallAnalysis, CallResult, DisconnectedBy

DialOutcome = Literal["busy", "no_answer", "failed"]
BUSY = frozenset({486, 600, 603})  # Busy Here, Busy Everywhere, Decline
NO_ANSWER = frozenset({408, 480, 487})  # Request Timeout, Temporarily Unavailable, Terminated


def dial_outcome(error: SipCallError) -> tuple[DialOutcome, DisconnectedBy]:
    code = error.sip_status_code
    if code in BUSY:
        return "busy", "caller"
    if code in NO_ANSWER or (code is None and error.code == "deadline_exceeded"):
        return "no_answer", "timeout"
    return "failed", "error"


def unstarted_result(
    request: RoomCallRequest, by: DisconnectedBy, code: int | None, reason: str
) -> CallResult:
    return CallResult.unstarted(
        call_id=request.call_id,
        transport="livekit",
        bot_id=request.bot_id,
        from_number=request.from_number,
        to_number=request.to_number,
        by=by,
        code=code,
        reason=reason,
    )


def dial_failed_result(request: RoomCallRequest, bot: BotConfig, error: SipCallError) -> CallResult:
    """``close_code`` is the SIP status (486, 480, ...) when LiveKit reported one."""
    outcome, by = dial_outcome(error)
    status = error.sip_status_code
    answer = f"{status} {error.sip_status or ''}".strip() if status else error.code
    result = unstarted_result(request, by, status, f"{outcome}: {answer}")
    analysis = CallAnalysis(
        disposition=outcome,
        summary=f"The outbound call was not answered ({answer}).",
        analyzer="sip",
    )
    return result.model_copy(
        update={
            "bot_id": bot.id,
            "bot_version": bot.version,
            "tenant": bot.tenant,
            "analysis": analysis,
        }
    )
