"""``CallResult``: what a call leaves behind, written to the outbox before its slot is released."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

# The outbox message kind that carries a CallResult.
CALL_RESULT = "call_result"

DisconnectedBy = Literal["caller", "bot", "timeout", "error", "transfer_to_agent", "refused"]


class TranscriptTurn(BaseModel):
    role: Literal["caller", "bot"]
    text: str
    at: datetime


class ToolCallRecord(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: Any
    at: datetime
    error: str | None = None


class TurnLatency(BaseModel):
    """One caller-to-bot interval as Pipecat's latency observer named its parts."""

    total_ms: float
    parts_ms: dict[str, float] = Field(default_factory=dict)
    ttfb_ms: dict[str, float] = Field(default_factory=dict)


class CallResult(BaseModel):
    call_id: str
    transport: str
    bot_id: str | None
    tenant: str | None = None
    from_number: str = ""
    to_number: str = ""
    started_at: datetime
    ended_at: datetime
    duration_s: float
    disconnected_by: DisconnectedBy
    close_code: int | None = None
    close_reason: str = ""
    transcript: list[TranscriptTurn] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    latency: list[TurnLatency] = Field(default_factory=list)
    recording: str | None = None


def now() -> datetime:
    return datetime.now(UTC)


def read_results(path: Path) -> list[dict[str, Any]]:
    """Call results from a ``results.jsonl`` the outbox wrote (at least once: deduped by key)."""
    if not path.exists():
        return []
    seen: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line:
            entry = json.loads(line)
            if entry["kind"] == CALL_RESULT:
                seen.setdefault(entry["idempotency_key"], entry["payload"])
    return list(seen.values())
