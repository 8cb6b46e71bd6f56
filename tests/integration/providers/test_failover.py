"""Failover against the vendors' protocols: a real failure of each kind, mid-call.

One real server with three bots, each pinned to a vendor fake that fails the way that vendor
fails in production, with an offline fallback: Deepgram drops its socket half a second into
the caller's first utterance; OpenAI answers 500 to everything; ElevenLabs takes the text and
never sends a byte of audio. The three calls run at once; each must still open the right
ticket, the caller's interrupted turn included, and record its switch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.local_server import RunningServer
from tests.fakes.server import serving
from tests.fakes.vendors.deepgram import FakeDeepgram
from tests.fakes.vendors.elevenlabs import FakeElevenLabs
from tests.fakes.vendors.openai import FakeOpenAI
from tests.integration.providers.harness import (
    start_provider_server,
    support_bot,
    support_call,
    ticket_opened,
)

KEY = "canary-failover-3b9d"
BOTS = {
    "vf-stt": support_bot(
        "vf-stt",
        stt={"kind": "stt", "name": "deepgram"},
        fallbacks={"stt": [{"kind": "stt", "name": "local-whisper"}]},
    ),
    "vf-llm": support_bot(
        "vf-llm",
        llm={"kind": "llm", "name": "openai"},
        fallbacks={"llm": [{"kind": "llm", "name": "local-intent"}]},
    ),
    "vf-tts": support_bot(
        "vf-tts",
        tts={"kind": "tts", "name": "elevenlabs"},
        fallbacks={"tts": [{"kind": "tts", "name": "local-piper"}], "tts_first_audio_s": 2.0},
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    deepgram = FakeDeepgram(KEY)
    deepgram.drop_mid_utterance = True
    openai = FakeOpenAI(KEY, failing=True)
    elevenlabs = FakeElevenLabs(api_key=KEY, silent=True)
    with (
        serving(deepgram.app) as deepgram_url,
        serving(openai.app()) as openai_url,
        serving(elevenlabs.app()) as elevenlabs_url,
    ):
        running = start_provider_server(
            tmp_path_factory.mktemp("vendor-failover"),
            list(BOTS.values()),
            keys={"deepgram": KEY, "openai": KEY, "elevenlabs": KEY},
            urls={
                "deepgram": deepgram_url,
                "openai": f"{openai_url}/v1",
                "elevenlabs": elevenlabs_url,
            },
        )
        yield running
        running.stop()


@pytest.mark.slow
async def test_each_vendor_failure_fails_over_and_the_call_goes_on(
    server: RunningServer, speech_dir: Path
) -> None:
    calls = await asyncio.gather(*(support_call(server, speech_dir, bot) for bot in BOTS))
    switches = {}
    for bot, (report, result) in zip(BOTS, calls, strict=True):
        assert report.errors == [], (bot, report.text())
        ticket_opened(result)  # the interrupted first turn was heard in full
        [switch] = result["provider_switches"]
        switches[bot] = (switch["kind"], switch["from_provider"], switch["to_provider"])
        assert KEY not in str(result)
    assert switches == {
        "vf-stt": ("stt", "stt:deepgram", "stt:local-whisper"),
        "vf-llm": ("llm", "llm:openai", "llm:local-intent"),
        "vf-tts": ("tts", "tts:elevenlabs", "tts:local-piper"),
    }
    assert KEY not in server.log()
