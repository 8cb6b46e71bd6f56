"""Deepgram Nova-3 and Flux in real calls: a carrier socket at 8 kHz, a local Deepgram behind.

One real server with two support bots, one per Deepgram provider, their key and endpoint from
settings (a canary key, the fake's URL); the calls run at once. Each must open the right
ticket over two caller turns, leave usage and per-turn latency from Pipecat's metrics, and
have streamed 8 kHz linear16 to the right model with the tenant's key, which must never
appear in results or logs. A third call talks over the Flux bot: Flux's start of turn must
silence it (barge-in without VAD deciding the turn).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lab.caller.session import CallOptions, place_call
from lab.local_server import RunningServer
from shared.providers.local_whisper.model import transcribe
from tests.fakes.server import serving
from tests.fakes.vendors.deepgram import FLUX_PATH, NOVA_PATH, FakeDeepgram
from tests.integration.providers.harness import (
    start_provider_server,
    support_bot,
    support_call,
    ticket_opened,
)

CANARY = f"dg-canary-{secrets.token_hex(8)}"
KEYTERMS = ["conference", "extension"]
NOVA = {"kind": "stt", "name": "deepgram", "model": "nova-3", "options": {"keyterms": KEYTERMS}}
FLUX = {"kind": "stt", "name": "deepgram-flux"}
BOTS: dict[str, dict[str, Any]] = {
    "dg-nova": support_bot("dg-nova", stt=NOVA, recording=False),
    "dg-flux": support_bot("dg-flux", stt=FLUX, recording=False),
}
# bot -> (the fake's path, the model it must be asked for, its label in latency breakdowns)
EXPECTED = {
    "dg-nova": (NOVA_PATH, "nova-3", "stt:deepgram/nova-3"),
    "dg-flux": (FLUX_PATH, "flux-general-en", "stt:deepgram-flux"),
}
# Pipecat reports an STT's TTFB (speech end to final transcript) when the final transcript
# lands within 2 s of the VAD's stop; a turn whose transcript came well within that has one.
TTFB_WINDOW_MS = 1500
OTHERS = {"llm:local-intent", "tts:local-piper"}
BARGE_IN_BUDGET_MS = 300
# The barge-in call measures timing at the caller's ear: `make test` runs it on a quiet machine.
pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def deepgram() -> Iterator[tuple[FakeDeepgram, str]]:
    fake = FakeDeepgram(CANARY)
    transcribe(np.zeros(8000, np.int16), 8000)  # load Whisper before the calls need it
    with serving(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, deepgram: tuple[FakeDeepgram, str]
) -> Iterator[RunningServer]:
    _, url = deepgram
    names = [bot["stt"]["name"] for bot in BOTS.values()]
    running = start_provider_server(
        tmp_path_factory.mktemp("deepgram"),
        list(BOTS.values()),
        keys={name: CANARY for name in names},
        urls={name: url for name in names},
    )
    yield running
    running.stop()


async def barge_in_call(server: RunningServer, demo_audio: Path, speech_dir: Path) -> Any:
    return await place_call(
        "exotel",
        server.ws("/ws/exotel"),
        [demo_audio / "order_where.wav", speech_dir / "asterisk-core-en/vm-mismatch.wav"],
        bot="dg-flux",
        call_id="dg-flux-barge-in",
        options=CallOptions(barge_in=True, barge_in_after_s=0.6, timeout_s=60),
    )


@pytest.mark.slow
async def test_nova_and_flux_calls_through_a_carrier_at_8khz(
    server: RunningServer,
    deepgram: tuple[FakeDeepgram, str],
    speech_dir: Path,
    demo_audio: Path,
) -> None:
    fake, _ = deepgram
    *calls, barge_in = await asyncio.gather(
        *(support_call(server, speech_dir, bot) for bot in BOTS),
        barge_in_call(server, demo_audio, speech_dir),
    )

    for bot, (report, result) in zip(BOTS, calls, strict=True):
        path, model, label = EXPECTED[bot]
        assert report.errors == [], (bot, report.text())
        ticket_opened(result)
        assert result["disconnected_by"] in ("caller", "bot"), (bot, result["close_reason"])
        [usage] = [line for line in result["usage"] if line["kind"] == "stt"]
        assert usage["provider"] == BOTS[bot]["stt"]["name"] and usage["model"] == model
        assert usage["audio_seconds"] > 2, usage
        # Per turn: Pipecat's breakdown, with the wait for the STT's final transcript, and
        # the STT's TTFB. A streaming STT whose own endpointing is quicker than the VAD's stop
        # has its final in before the turn ends: that turn waits for no transcript and has no
        # transcription part (it happens here when the fake's decode is quick).
        latency = result["latency"]
        assert len(latency) >= 2, (bot, latency)
        waited = [turn for turn in latency if "transcription" in turn["parts_ms"]]
        assert waited, (bot, latency)
        for turn in latency:
            assert set(turn["ttfb_ms"]) <= {label, *OTHERS}, (bot, turn)
        for turn in waited:
            final_ms = turn["parts_ms"]["transcription"]
            assert final_ms > 0, (bot, turn)
            if final_ms < TTFB_WINDOW_MS:
                assert turn["ttfb_ms"][label] > 0, (bot, turn)

        sessions = fake.accepted(path)
        assert sessions, f"{bot}: nothing reached {path}"
        for session in sessions:
            assert session.key == CANARY
            assert (session.param("sample_rate"), session.param("encoding")) == ("8000", "linear16")
            assert session.param("model") == model
        heard = [text for session in sessions for text in session.transcripts]
        caller = [turn["text"] for turn in result["transcript"] if turn["role"] == "caller"]
        assert any("conference" in text.lower() for text in heard), heard
        assert any("conference" in text.lower() for text in caller), caller

    nova = fake.accepted(NOVA_PATH)
    assert all(s.params.get("keyterm") == KEYTERMS and s.param("language") == "en" for s in nova)
    assert any("Finalize" in s.controls for s in nova), "VAD stops must finalize Nova's results"
    assert all(s.key == CANARY for s in fake.sessions), "no connection with another key"

    # Talking over the greeting, then over the first reply: were the bot not interrupted, it
    # would go on for seconds over the caller. (Flux may stop it before the caller is audible
    # at the ear, so the stop is measured by overlap, not by a clear after the onset.)
    assert barge_in.errors == [] and barge_in.turns[0].barge_in_stop_ms is not None
    for turn in barge_in.turns:
        assert turn.overlap_ms <= BARGE_IN_BUDGET_MS, barge_in.text()
        assert turn.v2v_ms is not None, "the interrupted bot must still answer the caller"

    results = json.dumps(server.results())
    assert CANARY not in results and CANARY not in server.log()
