"""Barge-in: the caller talking over the bot stops the bot's audio at the caller's ear.

Measured by the simulated caller from its first audible speech frame to the start of bot
silence at its ear. Onsets here are voiced; an unvoiced onset (the "f" of "five") is audible
before any VAD calls it speech and adds its own length (README: Latency).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.caller.session import CallOptions, place_call
from lab.local_server import RunningServer

BARGE_IN_BUDGET_MS = 300


@pytest.mark.slow
@pytest.mark.serial
async def test_caller_talking_over_the_bot_silences_it(
    server: RunningServer, demo_audio: Path, speech_dir: Path
) -> None:
    report = await place_call(
        "exotel",
        server.ws("/ws/exotel"),
        [demo_audio / "order_where.wav", speech_dir / "asterisk-core-en/vm-mismatch.wav"],
        bot="support-desk",
        call_id="barge-in",
        options=CallOptions(barge_in=True, barge_in_after_s=0.6, timeout_s=60),
    )
    for turn in report.turns:
        assert turn.cleared, f"no clear from the server during {turn.caller_wav}"
        assert turn.barge_in_stop_ms is not None
        assert turn.barge_in_stop_ms <= BARGE_IN_BUDGET_MS, report.text()
        assert turn.v2v_ms is not None, "the interrupted bot must still answer the caller"
    result = server.result("barge-in")
    caller_said = [turn["text"] for turn in result["transcript"] if turn["role"] == "caller"]
    assert any("order" in text.lower() for text in caller_said), caller_said
