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
    """One caller-to-bot interval as Pipecat's latency observer named its parts.

    ``parts_ms`` splits the interval (``transcription`` is the STT's final after the caller
    stopped, ``llm_inference``, ``speech_synthesis``, ...); ``ttfb_ms`` is each provider's
    time to first byte, keyed by its label (``llm:openai/gpt-4o-mini``: the LLM's TTFT).
    """

    total_ms: float
    parts_ms: dict[str, float] = Field(default_factory=dict)
    ttfb_ms: dict[str, float] = Field(default_factory=dict)


class ProviderUsage(BaseModel):
    """What one provider did for a call, in the units it bills by, and what that costs.

    ``cost_usd`` is None when the price table has no entry for the provider and model.
    """

    kind: Literal["stt", "llm", "tts"]
    provider: str
    model: str | None = None
    audio_seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    characters: int = 0
    cost_usd: float | None = None


class ProviderSwitch(BaseModel):
    """A failover during the call: which provider of a kind took over from which, and why."""

    kind: Literal["stt", "llm", "tts"]
    from_provider: str
    to_provider: str
    reason: str
    at: datetime


class CallAnalysis(BaseModel):
    """The post-call analysis: one of the bot's disposition labels, a summary, and fields.

    ``fields`` hold only values that passed the bot's JSON Schema; each value dropped, and any
    analyzer failure, is explained in ``problems``.
    """

    disposition: str
    summary: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    analyzer: str
    problems: list[str] = Field(default_factory=list)


class CallResult(BaseModel):
    call_id: str
    transport: str
    bot_id: str | None
    bot_version: int | None = None
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
    analysis: CallAnalysis | None = None
    usage: list[ProviderUsage] = Field(default_factory=list)
    provider_switches: list[ProviderSwitch] = Field(default_factory=list)
    cost_usd: float | None = Field(None, description="sum of the priced usage lines")
    price_table: str | None = Field(None, description="version of the price table used")

    @classmethod
    def unstarted(
        cls,
        *,
        call_id: str,
        transport: str,
        bot_id: str | None,
        from_number: str = "",
        to_number: str = "",
        by: DisconnectedBy,
        code: int | None,
        reason: str,
    ) -> CallResult:
        """The result of a call that never got a pipeline: refused, not dialled, not built."""
        at = now()
        return cls(
            call_id=call_id,
            transport=transport,
            bot_id=bot_id,
            from_number=from_number,
            to_number=to_number,
            started_at=at,
            ended_at=at,
            duration_s=0.0,
            disconnected_by=by,
            close_code=code,
            close_reason=reason,
        )


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
