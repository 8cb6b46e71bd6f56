"""The part of a fake provider's script every modality shares: delays and failures on cue."""

from __future__ import annotations

import asyncio

from pipecat.utils.errors import ErrorCategory
from pydantic import BaseModel, ConfigDict, Field


class FakeProviderError(RuntimeError):
    """The scripted failure, carrying the category Pipecat should file it under."""

    def __init__(self, message: str, category: ErrorCategory) -> None:
        super().__init__(message)
        self.category = category


class Script(BaseModel):
    """Options every fake takes (the modality's own model adds what it outputs per turn).

    ``fail_after``: answer this many turns, then fail on every later one. ``error`` says how
    Pipecat reads the failure: a transient category (``unknown``, ``server``, ...) is reported
    and the service keeps being used; a permanent one (``authentication``, ``authorization``,
    ``invalid_request``) leaves the service unusable, as a revoked key would.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    delay_s: float = Field(0.0, ge=0, le=60)
    fail_after: int | None = Field(None, ge=0)
    error: ErrorCategory = ErrorCategory.UNKNOWN


class Timeline:
    """Counts a service's turns and, on cue, waits and fails as its script says."""

    def __init__(self, script: Script, label: str) -> None:
        self.script = script
        self.label = label
        self.turns = 0

    async def next_turn(self) -> int:
        """The 0-based index of the turn now starting, after the scripted delay.

        Raises :class:`FakeProviderError` for a turn the script fails.
        """
        turn, self.turns = self.turns, self.turns + 1
        if self.script.delay_s:
            await asyncio.sleep(self.script.delay_s)
        if self.script.fail_after is not None and turn >= self.script.fail_after:
            raise FakeProviderError(
                f"{self.label}: scripted failure on turn {turn + 1}", self.script.error
            )
        return turn


def classify(exception: Exception) -> ErrorCategory | None:
    """The category of a scripted failure; None (ask Pipecat) for anything else."""
    return exception.category if isinstance(exception, FakeProviderError) else None
