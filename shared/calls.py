"""What a route knows about a call before the pipeline starts, whatever the carrier."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TransportKind = Literal["exotel", "twilio", "dialler", "livekit", "webrtc"]


@dataclass(frozen=True)
class CallRequest:
    """One call's identity: ids, numbers, the bot asked for and the carrier's own ids."""

    call_id: str
    transport: TransportKind
    from_number: str = ""
    to_number: str = ""
    bot_id: str | None = None
    sample_rate: int = 8000
    carrier_ids: dict[str, str] = field(default_factory=dict)
