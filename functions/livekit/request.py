"""``RoomCallRequest``: the one input of a per-call LiveKit worker, small and serializable."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.livekit.client import SAMPLE_RATE
from shared.calls import CallRequest

RoomRoute = Literal["sip_inbound", "sip_outbound", "attach", "widget"]


class RoomCallRequest(BaseModel):
    """Which room, which bot, who is calling; ``sip_outbound`` calls ``to_number`` first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    call_id: str = Field(min_length=1, max_length=128)
    route: RoomRoute
    room: str = Field(min_length=1, max_length=256)
    bot_id: str | None = None
    from_number: str = ""
    to_number: str = ""

    def call(self) -> CallRequest:
        return CallRequest(
            call_id=self.call_id,
            transport="livekit",
            from_number=self.from_number,
            to_number=self.to_number,
            bot_id=self.bot_id,
            sample_rate=SAMPLE_RATE,
            carrier_ids={"room": self.room, "route": self.route},
        )
