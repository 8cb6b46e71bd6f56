"""A real call per protocol: the real server on 127.0.0.1, the simulated caller, real speech.

The caller speaks recorded human speech (../shared/speech, 8 kHz native and 16 kHz
downsampled by the caller); the bot must follow its scenario (the right tool, the right slot
values), and the server's own transcript of the caller must be within 20% WER.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from lab.caller.session import CallOptions, place_call
from lab.local_server import RunningServer
from lab.scoring import word_error_rate
from shared.audio import read_wav, rms_dbfs

# carrier -> (caller turns with references, expected ticket arguments)
FLOWS: dict[str, tuple[list[str], dict[str, str]]] = {
    "exotel": (
        ["asterisk-core-en/confbridge-lock-no-join.wav", "pocketsphinx/cards_004.wav"],
        {"category": "conference", "extension": "55"},
    ),
    "twilio": (
        ["asterisk-core-en/vm-mismatch.wav", "pocketsphinx/cards_001.wav"],
        {"category": "voicemail", "extension": "10"},
    ),
    "dialler": (
        ["asterisk-core-en/confbridge-removed.wav", "pocketsphinx/cards_004.wav"],
        {"category": "conference", "extension": "55"},
    ),
}


def references(speech_dir: Path) -> dict[str, str]:
    rows = (json.loads(line) for line in (speech_dir / "manifest.jsonl").read_text().splitlines())
    return {row["audio"]: row["transcript"] for row in rows}


async def uploaded(path: Path, timeout_s: float = 10.0) -> Path:
    """The recording once the outbox has moved it from the spool into the store."""
    for _ in range(int(timeout_s / 0.1)):
        if path.exists():
            return path
        await asyncio.sleep(0.1)
    raise AssertionError(f"recording never reached {path}")


def caller_turns(result: dict[str, Any]) -> list[str]:
    return [turn["text"] for turn in result["transcript"] if turn["role"] == "caller"]


@pytest.mark.slow
@pytest.mark.parametrize("carrier", sorted(FLOWS))
async def test_real_speech_call(carrier: str, server: RunningServer, speech_dir: Path) -> None:
    clips, ticket = FLOWS[carrier]
    call_id = f"accept-{carrier}"
    report = await place_call(
        carrier,
        server.ws(f"/ws/{carrier}"),
        [speech_dir / clip for clip in clips],
        bot="support-desk",
        call_id=call_id,
        options=CallOptions(timeout_s=90),
    )
    assert report.errors == []
    assert all(turn.v2v_ms is not None for turn in report.turns), report.text()

    result = server.result(call_id)
    tickets = [call for call in result["tool_calls"] if call["name"] == "open_ticket"]
    assert len(tickets) == 1, result["tool_calls"]
    assert {key: tickets[0]["arguments"][key] for key in ticket} == ticket
    ticket_id = tickets[0]["result"]["ticket_id"]
    assert ticket_id in " ".join(
        turn["text"] for turn in result["transcript"] if turn["role"] == "bot"
    )
    # The caller heard the answer (its words are checked exactly above: tiny.en at the ear
    # mishears a synthetic voice at 8 kHz, "ticket 48592" as "Tic at 40 8,592").
    assert report.turns[-1].heard, report.text()

    assert result["recording"].endswith(f"/{call_id}.wav")
    recording = read_wav(await uploaded(Path(result["recording"])), mono=False)
    assert recording.channels == 2 and recording.sample_rate == 8000
    caller, bot = recording.samples[:, 0], recording.samples[:, 1]
    assert rms_dbfs(caller) > -50 and rms_dbfs(bot) > -50  # both sides were recorded

    # What each provider did, priced (the offline ones cost nothing), and the analysis.
    usage = {line["kind"]: line for line in result["usage"]}
    assert usage["stt"]["provider"] == "local-whisper" and usage["stt"]["audio_seconds"] > 1
    assert usage["llm"]["input_tokens"] > 0 and usage["llm"]["output_tokens"] > 0
    assert usage["tts"]["characters"] >= len(result["transcript"][0]["text"])
    assert result["cost_usd"] == 0.0 and result["price_table"]
    analysis = result["analysis"]
    assert (analysis["disposition"], analysis["analyzer"]) == ("ticket_opened", "local-intent")
    assert analysis["fields"] == {**ticket, "ticket_id": ticket_id}
    assert f"extension {ticket['extension']}" in analysis["summary"]
    assert result["bot_version"] == 1

    said = references(speech_dir)
    wer = word_error_rate(
        [" ".join(said[clip] for clip in clips)], [" ".join(caller_turns(result))]
    )
    assert wer <= 0.20, (wer, caller_turns(result))
