"""Exotel Voicebot applet: ``connected``/``start``/``media``/``dtmf``/``mark``/``stop``.

Media is base64 LINEAR16 (slin), 8 kHz by default; Exotel can be configured for 16 kHz.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.serializers.exotel import ExotelFrameSerializer
from pydantic import BaseModel, ConfigDict, Field

from functions.carriers.base import (
    CLOSE_UNSUPPORTED,
    CarrierProtocol,
    ProtocolViolation,
    StartInfo,
    validated,
)
from shared.calls import CallRequest

SUPPORTED_RATES = frozenset({8000, 16000})


class ExotelMediaFormat(BaseModel):
    encoding: str = "base64"
    sample_rate: int = 8000
    bit_rate: str | None = None


class ExotelStartBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    stream_sid: str = Field(min_length=1, max_length=128)
    call_sid: str = Field(min_length=1, max_length=128)
    account_sid: str = Field(min_length=1, max_length=128)
    from_: str = Field("", alias="from", max_length=32)
    to: str = Field("", max_length=32)
    custom_parameters: dict[str, Any] | str = Field(default_factory=dict)
    media_format: ExotelMediaFormat = Field(default_factory=ExotelMediaFormat)


class ExotelStart(BaseModel):
    event: str
    start: ExotelStartBody


class ExotelProtocol(CarrierProtocol):
    kind = "exotel"
    pre_start_events = frozenset({"connected"})
    call_events = frozenset({"media", "dtmf", "mark", "stop"})
    hangup_events = frozenset({"stop"})

    def parse_start(self, message: Mapping[str, Any], query: Mapping[str, str]) -> StartInfo:
        body = validated(ExotelStart, message, "start message").start
        media = body.media_format
        if media.encoding.lower() not in {"base64", "slin", "linear16"}:
            raise ProtocolViolation(
                CLOSE_UNSUPPORTED, f"unsupported encoding {media.encoding!r}: use base64 LINEAR16"
            )
        if media.sample_rate not in SUPPORTED_RATES:
            raise ProtocolViolation(
                CLOSE_UNSUPPORTED, f"unsupported sample rate {media.sample_rate}: use 8000 or 16000"
            )
        custom = body.custom_parameters if isinstance(body.custom_parameters, dict) else {}
        bot = query.get("bot") or custom.get("bot")
        request = CallRequest(
            call_id=body.call_sid,
            transport="exotel",
            from_number=body.from_,
            to_number=body.to,
            bot_id=str(bot) if bot else None,
            sample_rate=media.sample_rate,
            carrier_ids={"stream_sid": body.stream_sid, "account_sid": body.account_sid},
        )
        return StartInfo(request, body.stream_sid)

    def serializer(self, start: StartInfo) -> FrameSerializer:
        return ExotelFrameSerializer(
            start.stream_id,
            start.request.call_id,
            params=ExotelFrameSerializer.InputParams(exotel_sample_rate=start.request.sample_rate),
        )
