"""What every carrier protocol adapter provides to the media route.

A carrier adapter is pure: it validates messages and builds the Pipecat serializer. The route
and :class:`~functions.carriers.guard.GuardedWebSocket` do the I/O.
"""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pipecat.serializers.base_serializer import FrameSerializer
from pydantic import BaseModel, ValidationError

from shared.calls import CallRequest, TransportKind

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013

# Machine-readable names for the close codes, for protocols that announce an error first.
CLOSE_NAMES = {
    CLOSE_NORMAL: "normal",
    CLOSE_UNSUPPORTED: "unsupported_data",
    CLOSE_INVALID_PAYLOAD: "invalid_payload",
    CLOSE_POLICY: "policy_violation",
    CLOSE_TOO_BIG: "message_too_big",
    CLOSE_INTERNAL: "internal_error",
    CLOSE_TRY_LATER: "try_again_later",
}


# One media message carries at most a second of 16 kHz PCM16: anything bigger is not a frame.
MAX_MEDIA_BYTES = 32000


class ProtocolViolation(Exception):
    """The peer broke the protocol; the call ends with this close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_base64_audio(payload: Any, *, bytes_per_sample: int) -> None:
    """A media payload must be base64 of whole samples, at most a second of audio."""
    if not isinstance(payload, str):
        raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "media without a base64 'payload'")
    if len(payload) > MAX_MEDIA_BYTES * 4 // 3 + 4:
        raise ProtocolViolation(CLOSE_TOO_BIG, "media payload over 1 s of audio")
    try:
        audio = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "media payload is not base64") from None
    if len(audio) % bytes_per_sample:
        raise ProtocolViolation(CLOSE_INVALID_PAYLOAD, "media payload is not whole samples")


@dataclass(frozen=True)
class StartInfo:
    """A validated start message: the call it describes and what the serializer needs."""

    request: CallRequest
    stream_id: str


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any, what: str) -> M:
    """Parse ``data`` into ``model`` or raise a violation naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise ProtocolViolation(CLOSE_POLICY, f"bad {what}: {where}: {first['msg']}") from error


class CarrierProtocol(ABC):
    """One carrier's wire format as the server sees it."""

    kind: ClassVar[TransportKind]
    # Events a peer may send before ``start`` (e.g. Exotel/Twilio ``connected``).
    pre_start_events: ClassVar[frozenset[str]] = frozenset()
    # Events allowed once the call runs; anything else ends the call.
    call_events: ClassVar[frozenset[str]]
    # Events that mean the caller hung up.
    hangup_events: ClassVar[frozenset[str]]
    # Bytes per audio sample in a media payload (PCM16: 2, G.711 mu-law: 1).
    bytes_per_sample: ClassVar[int] = 2

    @abstractmethod
    def parse_start(self, message: Mapping[str, Any], query: Mapping[str, str]) -> StartInfo:
        """Validate a ``start`` message (and the socket's query string) into a call."""

    @abstractmethod
    def serializer(self, start: StartInfo) -> FrameSerializer:
        """The Pipecat serializer for this call's media."""

    def media_payload(self, message: Mapping[str, Any]) -> Any:
        """Where this protocol puts a media message's audio (Exotel and Twilio: ``media``)."""
        media = message.get("media")
        return media.get("payload") if isinstance(media, dict) else None

    def check(self, message: Mapping[str, Any]) -> None:
        """Validate one in-call message beyond its event name: media must be whole audio."""
        if message["event"] == "media":
            check_base64_audio(self.media_payload(message), bytes_per_sample=self.bytes_per_sample)

    def closing_message(self, by: str, code: int, reason: str) -> str | None:
        """What to send before the close frame (hang-up or error event), if the protocol has it."""
        return None

    def event_of(self, message: Any) -> str:
        if not isinstance(message, dict):
            raise ProtocolViolation(CLOSE_POLICY, "each message must be a JSON object")
        event = message.get("event")
        if not isinstance(event, str):
            raise ProtocolViolation(CLOSE_POLICY, "message has no 'event'")
        return event
