"""A finished support-desk call, as a session would have recorded it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.results import CallResult, ToolCallRecord, TranscriptTurn

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def call_result(**changes: Any) -> CallResult:
    def at(seconds: float) -> datetime:
        return START + timedelta(seconds=seconds)

    base: dict[str, Any] = {
        "call_id": "c-1",
        "transport": "exotel",
        "bot_id": "support-desk",
        "started_at": START,
        "ended_at": at(42),
        "duration_s": 42.0,
        "disconnected_by": "caller",
        "transcript": [
            TranscriptTurn(role="bot", text="Thanks for calling. How can I help?", at=at(1)),
            TranscriptTurn(role="caller", text="My voicemail password doesn't work", at=at(5)),
            TranscriptTurn(role="bot", text="What's your extension?", at=at(7)),
            TranscriptTurn(role="caller", text="It's 55", at=at(10)),
            TranscriptTurn(role="bot", text="I've opened ticket 12345.", at=at(13)),
        ],
        "tool_calls": [
            ToolCallRecord(
                name="open_ticket",
                arguments={"category": "voicemail", "extension": "55", "summary": "password"},
                result={"ticket_id": "12345", "category": "voicemail", "extension": "55"},
                at=at(12),
            )
        ],
    }
    return CallResult.model_validate(base | changes)


@pytest.fixture
def result() -> CallResult:
    return call_result()
