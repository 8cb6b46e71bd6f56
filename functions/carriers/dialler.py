"""The generic dialler protocol (``docs/dialler-protocol.md``) as the media route sees it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pipecat.serializers.base_serializer import FrameSerializer

from functions.carriers.base import CLOSE_NAMES, CarrierProtocol, StartInfo
from functions.serializers.dialler import DiallerFrameSerializer, DiallerStart
from shared.calls import CallRequest


class DiallerProtocol(CarrierProtocol):
    kind = "dialler"
    call_events = frozenset({"media", "dtmf", "hangup"})
    hangup_events = frozenset({"hangup"})

    def parse_start(self, message: Mapping[str, Any], query: Mapping[str, str]) -> StartInfo:
        start = DiallerStart.from_message(message)
        request = CallRequest(
            call_id=start.call_id,
            transport="dialler",
            from_number=start.from_,
            to_number=start.to,
            bot_id=start.bot or query.get("bot") or None,
            sample_rate=start.media_format.sample_rate,
        )
        return StartInfo(request, start.call_id)

    def serializer(self, start: StartInfo) -> FrameSerializer:
        return DiallerFrameSerializer(
            start.request.call_id,
            DiallerFrameSerializer.InputParams(dialler_sample_rate=start.request.sample_rate),
        )

    def media_payload(self, message: Mapping[str, Any]) -> Any:
        return message.get("payload")

    def closing_message(self, by: str, code: int, reason: str) -> str | None:
        if by in ("bot", "timeout"):
            return json.dumps({"event": "hangup", "reason": reason})
        return json.dumps(
            {"event": "error", "code": CLOSE_NAMES.get(code, "error"), "reason": reason}
        )
