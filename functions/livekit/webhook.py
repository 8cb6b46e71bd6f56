"""LiveKit webhooks: verified as LiveKit signs them, and read into the SIP caller we serve.

LiveKit sends each event with ``Authorization: <JWT>`` signed with the API secret, whose
``sha256`` claim is the base64 SHA-256 of the body. ``WebhookReceiver`` checks the key,
signature, expiry and body hash; we also refuse events created too long ago, so a captured
webhook cannot be replayed later to start calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from google.protobuf.json_format import ParseError
from livekit import api
from livekit.protocol.models import ParticipantInfo
from livekit.protocol.webhook import WebhookEvent

from functions.livekit.client import LiveKit

MAX_AGE_S = 300


class WebhookRefusedError(Exception):
    """Unsigned, wrongly signed, stale; ``status`` says which HTTP answer fits."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def verify(
    livekit: LiveKit, body: bytes, authorization: str, now: float | None = None
) -> WebhookEvent:
    if not authorization:
        raise WebhookRefusedError("missing Authorization")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise WebhookRefusedError("body is not UTF-8", 400) from None
    verifier = api.TokenVerifier(livekit.api_key, livekit.api_secret.get_secret_value())
    receiver = api.WebhookReceiver(verifier)
    token = authorization.removeprefix("Bearer ").strip()
    try:
        event = receiver.receive(text, token)
    except ParseError:
        raise WebhookRefusedError("body is not a LiveKit webhook event", 400) from None
    except Exception:  # livekit-api raises plain Exceptions and jwt errors alike
        raise WebhookRefusedError("bad webhook signature") from None
    current = time.time() if now is None else now
    if event.created_at and abs(current - event.created_at) > MAX_AGE_S:
        raise WebhookRefusedError("stale webhook")
    return event


@dataclass(frozen=True)
class SipCaller:
    """A phone caller who joined a room through a LiveKit SIP trunk."""

    room: str
    identity: str
    call_id: str
    to_number: str
    from_number: str


def sip_caller(event: WebhookEvent) -> SipCaller | None:
    """The SIP caller of a ``participant_joined`` event; None for any other event."""
    participant = event.participant
    if event.event != "participant_joined" or participant.kind != ParticipantInfo.Kind.SIP:
        return None
    attributes = dict(participant.attributes)
    if attributes.get("sip.callDirection", "inbound") != "inbound":
        return None  # our own dial-outs are served by the route that placed them
    call_id = attributes.get("sip.callID") or f"{event.room.name}-{participant.sid}"
    return SipCaller(
        room=event.room.name,
        identity=participant.identity,
        call_id=call_id,
        to_number=attributes.get("sip.trunkPhoneNumber", ""),
        from_number=attributes.get("sip.phoneNumber", ""),
    )
