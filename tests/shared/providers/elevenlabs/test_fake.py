"""The fake ElevenLabs enforces the vendor's rules, so a client that breaks them fails here too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from tests.fakes.server import serving
from tests.fakes.vendors.elevenlabs import VOICE_SETTINGS_RULE, FakeElevenLabs

KEY = "xi-fake-key"
QUERY = "model_id=eleven_flash_v2_5&output_format=pcm_8000&auto_mode=true"


@pytest.fixture
def url() -> Iterator[str]:
    with serving(FakeElevenLabs(api_key=KEY).app()) as base:
        yield base.replace("http://", "ws://") + f"/v1/text-to-speech/v1/multi-stream-input?{QUERY}"


def opening(n: int, **extra: Any) -> str:
    return json.dumps({"text": " ", "context_id": f"c{n}", **extra})


@pytest.mark.parametrize(
    ("query", "header", "messages", "reason"),
    [
        ("", False, [opening(0, xi_api_key="wrong")], "Invalid API key"),
        ("", True, [opening(n) for n in range(6)], "Maximum simultaneous contexts"),
        (
            "",
            True,
            [opening(0), json.dumps({"text": "Hi. ", "context_id": "c0", "voice_settings": {}})],
            VOICE_SETTINGS_RULE,
        ),
        ("&inactivity_timeout=1", True, [], "within the timeout of 1 seconds"),
    ],
    ids=["key-in-message", "six-contexts", "voice-settings-changed", "inactivity"],
)
async def test_broken_rules_close_the_socket_with_1008(
    url: str, query: str, header: bool, messages: list[str], reason: str
) -> None:
    headers = {"xi-api-key": KEY} if header else {}
    async with connect(url + query, additional_headers=headers) as ws:
        for message in messages:
            await ws.send(message)
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert reason in closed.value.rcvd.reason
