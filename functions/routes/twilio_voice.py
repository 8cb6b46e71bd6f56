"""``POST /twilio/voice``: answer a Twilio call with TwiML that opens the media stream.

With ``TWILIO_AUTH_TOKEN`` set, the webhook must carry a valid ``X-Twilio-Signature``
(HMAC-SHA1 over the URL and the sorted form fields, as Twilio documents). When every call
slot is busy the answer is 503 with ``Retry-After``, so Twilio tries the number's fallback URL
instead of opening a stream that would be refused; the slot itself is taken by the stream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from xml.sax.saxutils import quoteattr

from fastapi import APIRouter, Request, Response
from loguru import logger

from functions.carriers.twilio import stream_token
from functions.state import AppState
from shared.config.source import BotConfigError
from shared.tracker import TrackerUnavailableError

router = APIRouter()

TWIML = "application/xml"
RETRY_AFTER_S = 5


def twilio_signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    payload = url + "".join(f"{key}{form[key]}" for key in sorted(form))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def public_url(request: Request, state: AppState) -> str:
    base = state.settings.public_url or str(request.base_url).rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base.rstrip('/')}{request.url.path}{query}"


def say_and_hang_up(message: str) -> Response:
    body = f"<Response><Say>{message}</Say><Hangup/></Response>"
    return Response(f'<?xml version="1.0" encoding="UTF-8"?>{body}', media_type=TWIML)


@router.post("/twilio/voice")
async def twilio_voice(request: Request) -> Response:
    state: AppState = request.app.state.voxcore
    form = {key: str(value) for key, value in (await request.form()).items()}
    auth_token = state.settings.twilio_auth_token
    if auth_token is not None:
        expected = twilio_signature(auth_token.get_secret_value(), public_url(request, state), form)
        offered = request.headers.get("x-twilio-signature", "")
        if not hmac.compare_digest(expected, offered):
            logger.warning("twilio: refused webhook with a missing or wrong signature")
            return Response("invalid Twilio signature", status_code=403)
    call_sid, caller, dialled = form.get("CallSid", ""), form.get("From", ""), form.get("To", "")
    if not call_sid:
        return Response("CallSid is required", status_code=400)
    bot_id = request.query_params.get("bot")
    try:
        bot = await state.bots.by_id(bot_id) if bot_id else await state.bots.by_number(dialled)
    except (LookupError, BotConfigError) as error:
        logger.warning(f"call {call_sid} (twilio): refused: {error}")
        return say_and_hang_up("Sorry, this number is not in service.")
    try:
        full = await state.tracker.count() >= state.tracker.limit
    except TrackerUnavailableError:
        full = True
    if full:
        logger.warning(f"call {call_sid} (twilio): refused: no free call slot")
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return Response("all call slots are busy", status_code=503, headers=headers)
    base = state.settings.public_url or str(request.base_url)
    stream_url = base.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
    parameters = {"bot": bot.id, "from": caller, "to": dialled}
    if state.stream_secret is not None:
        parameters["token"] = stream_token(state.stream_secret, call_sid)
    params_xml = "".join(
        f"<Parameter name={quoteattr(name)} value={quoteattr(value)}/>"
        for name, value in parameters.items()
    )
    body = (
        f"<Response><Connect><Stream url={quoteattr(stream_url + '/ws/twilio')}>"
        f"{params_xml}</Stream></Connect></Response>"
    )
    return Response(f'<?xml version="1.0" encoding="UTF-8"?>{body}', media_type=TWIML)
