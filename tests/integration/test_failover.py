"""Failover in real calls: a failing primary hands the caller's turn to the bot's fallback.

One real server, three bots whose primary of one kind fails mid-call (scripted ``fake``
providers), each with a working fallback; the three calls run at once. Every call must still
open the right ticket, and its result must record the switch. (Failover against the vendor
protocol fakes is tested beside each vendor's provider.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.local_server import RunningServer
from tests.integration.providers.harness import (
    start_provider_server,
    support_bot,
    support_call,
    ticket_opened,
)

DEMO = Path(__file__).resolve().parents[2] / "datasets" / "demo"
HEARD = ["The conference is locked and nobody can join", "fifty five"]
FAKE_STT = {"kind": "stt", "name": "fake", "options": {"transcripts": HEARD}}
FAKE_TTS = {"kind": "tts", "name": "fake"}
LOCAL_INTENT = {"kind": "llm", "name": "local-intent"}

BOTS: dict[str, dict[str, Any]] = {
    # The LLM answers 5xx-style errors on every turn: local-intent answers instead.
    "failover-llm": support_bot(
        "failover-llm",
        stt=FAKE_STT,
        tts=FAKE_TTS,
        llm={"kind": "llm", "name": "fake", "options": {"fail_after": 0, "error": "server"}},
        fallbacks={"llm": [LOCAL_INTENT]},
        recording=False,
    ),
    # The TTS takes 30 s to say anything: after 1.5 s of silence the fallback speaks.
    "failover-tts": support_bot(
        "failover-tts",
        stt=FAKE_STT,
        tts={"kind": "tts", "name": "fake", "options": {"delay_s": 30}},
        fallbacks={"tts": [FAKE_TTS], "tts_first_audio_s": 1.5},
        recording=False,
    ),
    # The STT fails on the second utterance: the fallback hears it again from the replay.
    "failover-stt": support_bot(
        "failover-stt",
        stt={"kind": "stt", "name": "fake", "options": {"transcripts": HEARD, "fail_after": 1}},
        tts=FAKE_TTS,
        fallbacks={"stt": [{**FAKE_STT, "options": {"transcripts": HEARD[1:]}}]},
        recording=False,
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_provider_server(
        tmp_path_factory.mktemp("failover"), list(BOTS.values()), {}, {}
    )
    yield running
    running.stop()


@pytest.mark.slow
@pytest.mark.serial  # three calls at once with real-time turns: kept off a loaded machine
async def test_each_kind_fails_over_and_the_callers_turn_is_answered(
    server: RunningServer, speech_dir: Path
) -> None:
    # The fake STT answers each VAD segment with the next scripted transcript, so each turn
    # must be one segment: clips whose longest pause (80 and 140 ms) is well under the VAD's
    # 200 ms stop. ("Hi, I'd like..." pauses 280 ms at its comma: when the VAD split it, the
    # second half barged in on the reply to the first, and the scripted turns went askew.)
    turns = [DEMO / "hours.wav", DEMO / "order_number.wav"]
    calls = await asyncio.gather(
        *(support_call(server, speech_dir, bot, turns=turns) for bot in BOTS)
    )
    switched = {}
    for bot, (report, result) in zip(BOTS, calls, strict=True):
        assert report.errors == [], (bot, report.text())
        ticket_opened(result)
        assert result["disconnected_by"] in ("caller", "bot"), (bot, result["close_reason"])
        [switch] = result["provider_switches"]
        switched[bot] = (switch["kind"], switch["from_provider"], switch["to_provider"])
        assert switch["reason"], switch
    assert switched == {
        "failover-llm": ("llm", "llm:fake", "llm:local-intent"),
        "failover-tts": ("tts", "tts:fake", "tts:fake"),
        "failover-stt": ("stt", "stt:fake", "stt:fake"),
    }
    tts_result = calls[1][1]
    assert "no output within 1.5 s" in tts_result["provider_switches"][0]["reason"]
    greeting = tts_result["transcript"][0]
    assert greeting["role"] == "bot" and greeting["text"].startswith("Thanks for calling Acme")
