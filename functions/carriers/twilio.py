"""Twilio Media Streams: ``connected``/``start``/``media``/``dtmf``/``mark``/``stop``, mu-law 8 kHz.

``POST /twilio/voice`` answers TwiML that opens the stream and passes the bot, the numbers and
a per-call token as stream parameters; the token proves the stream belongs to a call we
answered, since a media socket itself carries no Twilio signature we can check offline.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.serializers.twilio import TwilioFrameSerializer
from pydantic import BaseModel, Field

from functions.carriers.base import (
    CLOSE_POLICY,
    CLOSE_UNSUPPORTED,
    CarrierProtocol,
    ProtocolViolation,
    StartInfo,
    validated,
)
from shared.calls import CallRequest

STREAM_TOKEN_TTL_S = 300


def stream_token(secret: str, call_sid: str, now: float | None = None) -> str:
    """A short-lived HMAC over the call SID, handed to the stream through TwiML."""
    issued = int(now if now is not None else time.time())
    mac = hmac.new(secret.encode(), f"{call_sid}.{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def stream_token_valid(secret: str, call_sid: str, token: str, now: float | None = None) -> bool:
    issued_text, _, _ = token.partition(".")
    if not issued_text.isdigit():
        return False
    current = now if now is not None else time.time()
    if not 0 <= current - int(issued_text) <= STREAM_TOKEN_TTL_S:
        return False
    return hmac.compare_digest(stream_token(secret, call_sid, int(issued_text)), token)


class TwilioMediaFormat(BaseModel):
    encoding: str
    sampleRate: int
    channels: int = 1


class TwilioStartBody(BaseModel):
    streamSid: str = Field(min_length=1, max_length=64)
    callSid: str = Field(min_length=1, max_length=64)
    accountSid: str = Field("", max_length=64)
    mediaFormat: TwilioMediaFormat
    customParameters: dict[str, str] = Field(default_factory=dict)


class TwilioStart(BaseModel):
    event: str
    start: TwilioStartBody


class TwilioProtocol(CarrierProtocol):
    kind = "twilio"
    pre_start_events = frozenset({"connected"})
    call_events = frozenset({"media", "dtmf", "mark", "stop"})
    hangup_events = frozenset({"stop"})
    bytes_per_sample = 1  # G.711 mu-law

    def __init__(self, stream_secret: str | None = None) -> None:
        self._stream_secret = stream_secret

    def parse_start(self, message: Mapping[str, Any], query: Mapping[str, str]) -> StartInfo:
        body = validated(TwilioStart, message, "start message").start
        media = body.mediaFormat
        if media.encoding != "audio/x-mulaw" or media.sampleRate != 8000 or media.channels != 1:
            raise ProtocolViolation(
                CLOSE_UNSUPPORTED,
                f"unsupported media {media.encoding} {media.sampleRate} Hz x{media.channels}: "
                "Twilio streams are audio/x-mulaw 8000 Hz mono",
            )
        params = body.customParameters
        if self._stream_secret is not None and not stream_token_valid(
            self._stream_secret, body.callSid, params.get("token", "")
        ):
            raise ProtocolViolation(CLOSE_POLICY, "stream token missing, expired or wrong")
        request = CallRequest(
            call_id=body.callSid,
            transport="twilio",
            from_number=params.get("from", ""),
            to_number=params.get("to", ""),
            bot_id=query.get("bot") or params.get("bot") or None,
            sample_rate=8000,
            carrier_ids={"stream_sid": body.streamSid, "account_sid": body.accountSid},
        )
        return StartInfo(request, body.streamSid)

    def serializer(self, start: StartInfo) -> FrameSerializer:
        # Hanging up is the route's job (it closes the stream); no REST credentials needed here.
        return TwilioFrameSerializer(
            start.stream_id,
            start.request.call_id,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
        )
