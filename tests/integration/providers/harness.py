"""A real call through a carrier socket with cloud providers pointed at local vendor fakes.

The server is a real ``voxcore serve`` with one bot per provider under test: the support desk,
its provider pins changed, keys from ``VOXCORE_PROVIDER_KEYS`` and endpoints from
``VOXCORE_PROVIDER_URLS`` (the fakes' ``http://127.0.0.1:PORT``). The caller speaks two turns
of real speech and the bot must open the right ticket: a multi-turn call with tool use.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lab.caller.session import CallOptions, CallReport, place_call
from lab.local_server import RunningServer, start_server
from shared.settings import DEFAULT_BOTS_DIR

# Two caller turns: a conference problem, then the extension (see test_calls.py).
CLIPS = ["asterisk-core-en/confbridge-lock-no-join.wav", "pocketsphinx/cards_004.wav"]
TICKET = {"category": "conference", "extension": "55"}


def support_bot(bot_id: str, **pins: Any) -> dict[str, Any]:
    """The shipped support desk with other providers pinned (``stt={...}``, ``fallbacks=...``)."""
    bot = yaml.safe_load((DEFAULT_BOTS_DIR / "support-desk.yaml").read_text())
    return bot | {"id": bot_id, "dids": []} | pins


def start_provider_server(
    workdir: Path,
    bots: list[dict[str, Any]],
    keys: Mapping[str, str],
    urls: Mapping[str, str],
    env: Mapping[str, str] | None = None,
) -> RunningServer:
    directory = workdir / "bots"
    directory.mkdir(parents=True, exist_ok=True)
    for bot in bots:
        (directory / f"{bot['id']}.yaml").write_text(yaml.safe_dump(bot))
    return start_server(
        workdir,
        {
            "VOXCORE_BOTS_DIR": str(directory),
            "VOXCORE_PROVIDER_KEYS": json.dumps(dict(keys)),
            "VOXCORE_PROVIDER_URLS": json.dumps(dict(urls)),
            **(env or {}),
        },
    )


async def support_call(
    server: RunningServer,
    speech_dir: Path,
    bot: str,
    *,
    carrier: str = "exotel",
    turns: list[Path] | None = None,
) -> tuple[CallReport, dict[str, Any]]:
    """Place the two-turn support call to ``bot`` (call id = bot id); its report and result.

    ``turns`` replaces the real-speech clips (a scripted STT needs one VAD segment per turn).
    """
    report = await place_call(
        carrier,
        server.ws(f"/ws/{carrier}"),
        turns or [speech_dir / clip for clip in CLIPS],
        bot=bot,
        call_id=bot,
        options=CallOptions(timeout_s=90),
        transcribe=False,
    )
    # server.result polls with sleeps: off the loop, so calls placed together run together.
    return report, await asyncio.to_thread(server.result, bot, 20)


def ticket_opened(result: Mapping[str, Any]) -> dict[str, Any]:
    """The one successful ``open_ticket`` call, checked against the caller's words."""
    tickets = [c for c in result["tool_calls"] if c["name"] == "open_ticket" and not c["error"]]
    assert len(tickets) == 1, result["tool_calls"]
    arguments = tickets[0]["arguments"]
    assert {key: arguments[key] for key in TICKET} == TICKET, arguments
    return tickets[0]
