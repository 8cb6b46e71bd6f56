"""ElevenLabs TTS in a real call: a real server, a carrier socket at 8 kHz, the fake vendor.

The support desk speaks through Pipecat's ElevenLabs service, pointed at the fake by
``VOXCORE_PROVIDER_URLS`` with its tenant's key from ``VOXCORE_PROVIDER_KEYS``; the fake
answers with real speech, so the caller's ear measures when the bot really spoke.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.local_server import RunningServer
from shared.pricing import price_table
from tests.fakes.server import serving
from tests.fakes.vendors.elevenlabs import FakeElevenLabs
from tests.integration.providers.harness import (
    start_provider_server,
    support_bot,
    support_call,
    ticket_opened,
)

KEY = "xi-canary-7c4e2a91"  # a canary: it must never reach a log or a result
BOT = "tts-elevenlabs"


@pytest.fixture(scope="module")
def vendor() -> Iterator[tuple[FakeElevenLabs, str]]:
    fake = FakeElevenLabs(api_key=KEY)
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, vendor: tuple[FakeElevenLabs, str]
) -> Iterator[RunningServer]:
    _, url = vendor
    bot = support_bot(BOT, tts={"kind": "tts", "name": "elevenlabs"})
    running = start_provider_server(
        tmp_path_factory.mktemp("elevenlabs"),
        [bot],
        keys={f"{bot['tenant']}/elevenlabs": KEY},
        urls={"elevenlabs": url},
    )
    yield running
    running.stop()


@pytest.mark.slow
async def test_a_support_call_speaks_through_elevenlabs(
    server: RunningServer, vendor: tuple[FakeElevenLabs, str], speech_dir: Path
) -> None:
    fake, _ = vendor
    report, result = await support_call(server, speech_dir, BOT)

    ticket_opened(result)
    assert report.errors == [], report.text()
    assert all(turn.v2v_ms is not None for turn in report.turns), report.text()  # heard

    [connection] = fake.connections  # one socket for the whole call, at the phone's rate
    assert connection.query["output_format"] == "pcm_8000"
    assert fake.texts(), "nothing was synthesized"
    bot_said = " ".join(t["text"] for t in result["transcript"] if t["role"] == "bot")
    assert ticket_opened(result)["result"]["ticket_id"] in bot_said

    [usage] = [u for u in result["usage"] if u["kind"] == "tts"]
    assert usage["provider"] == "elevenlabs" and usage["model"] == "eleven_flash_v2_5"
    assert usage["characters"] == sum(len(text) for text in fake.texts())
    price = price_table().find("tts", "elevenlabs", "eleven_flash_v2_5")
    assert price is not None and price.per_thousand_characters > 0
    expected = usage["characters"] / 1000 * price.per_thousand_characters
    assert usage["cost_usd"] == pytest.approx(expected, abs=1e-6) and result["cost_usd"] > 0

    ttfb = [turn["ttfb_ms"].get("tts:elevenlabs") for turn in result["latency"]]
    assert ttfb and all(ms is not None and 0 < ms < 3000 for ms in ttfb), result["latency"]

    assert KEY not in json.dumps(result) and KEY not in server.log()
