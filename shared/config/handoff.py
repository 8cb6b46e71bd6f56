"""How a bot hands a caller to a human agent, and what the caller hears while waiting."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class HandoffSettings(BaseModel):
    """The ``transfer_to_agent`` tool's behaviour (LiveKit routes only).

    While the caller holds, the bot either says ``hold_message`` once (``message``), plays
    ``hold_music_url`` (``music``), or repeats ``update_message`` every ``update_every_s``
    (``updates``). When no agent joins within ``hold_timeout_s``, or the handoff cannot be
    enqueued, ``on_failure`` decides: take a message, or end the call politely.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    queue: str = Field("default", min_length=1, max_length=64)
    hold_mode: Literal["message", "music", "updates"] = "message"
    hold_message: str = "Please hold while I connect you to a colleague."
    hold_music_url: str | None = None
    update_message: str = "Thanks for holding. A colleague will be with you shortly."
    update_every_s: float = Field(30.0, ge=5, le=600)
    hold_timeout_s: float = Field(180.0, gt=0, le=3600)
    on_failure: Literal["take_message", "end_call"] = "take_message"
    failure_message: str = (
        "I'm sorry, no one is free to take your call right now. "
        "I can take a message and someone will call you back."
    )

    @model_validator(mode="after")
    def _music_needs_a_source(self) -> HandoffSettings:
        if self.hold_mode == "music" and not self.hold_music_url:
            raise ValueError("hold_music_url: required when hold_mode is 'music'")
        return self
