"""``HandoffRequest``: what the Agent Desk needs to pick up a caller the bot hands over.

Delivered through the outbox like a call result (kind ``handoff``, key ``handoff:<call_id>``,
``POST /v1/handoffs`` on the bridge, HMAC-signed), so a bridge that is briefly down still
gets it exactly once per key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.results import TranscriptTurn

# The outbox message kind that carries a HandoffRequest.
HANDOFF = "handoff"


class HandoffRequest(BaseModel):
    """One caller waiting in a LiveKit room for a human agent of ``queue``."""

    call_id: str
    room: str = Field(description="the LiveKit room the agent joins")
    bot_id: str
    tenant: str | None = None
    queue: str
    reason: str = ""
    from_number: str = ""
    to_number: str = ""
    transcript: list[TranscriptTurn] = Field(default_factory=list)
    fields: dict[str, Any] = Field(
        default_factory=dict, description="what the call's tools collected so far, by name"
    )
    requested_at: datetime
    hold_timeout_s: float = Field(description="the bot gives up waiting after this")

    @property
    def key(self) -> str:
        return f"{HANDOFF}:{self.call_id}"
