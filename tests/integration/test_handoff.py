"""A bot in a real LiveKit room: runs only where ``LIVEKIT_URL``, ``LIVEKIT_API_KEY`` and
``LIVEKIT_API_SECRET`` name a LiveKit server (none can be installed on the CI machines).

The widget route mints a visitor token; the visitor joins with the LiveKit SDK, the bot joins
and greets, the visitor leaves, and the call's result is written with the room deleted.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from livekit import rtc

from functions.livekit.agent import run_room_call
from functions.livekit.client import LiveKit
from functions.livekit.request import RoomCallRequest
from functions.livekit.room import BOT_IDENTITY_PREFIX
from functions.state import AppState
from shared.settings import Settings

pytestmark = pytest.mark.skipif(
    not all(
        os.environ.get(name) for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
    ),
    reason="LiveKit media needs a LiveKit server: set LIVEKIT_URL, LIVEKIT_API_KEY and "
    "LIVEKIT_API_SECRET",
)


async def test_bot_joins_a_room_greets_and_leaves_a_result(tmp_path: Path) -> None:
    state = AppState.from_settings(Settings(data_dir=tmp_path))
    await asyncio.to_thread(state.preload)
    livekit = LiveKit.from_settings(state.settings)
    assert livekit is not None
    room_name = f"test-{os.getpid()}"
    await livekit.create_room(room_name)
    request = RoomCallRequest(
        call_id=room_name, route="widget", room=room_name, bot_id="support-desk"
    )
    call = asyncio.create_task(run_room_call(state, request))
    visitor = rtc.Room()
    await visitor.connect(livekit.url, livekit.token(room_name, "visitor-1"))
    bot_audio = asyncio.Event()

    @visitor.on("track_subscribed")
    def _on_track(track: rtc.Track, _pub: object, participant: rtc.RemoteParticipant) -> None:
        if (
            participant.identity.startswith(BOT_IDENTITY_PREFIX)
            and track.kind == rtc.TrackKind.KIND_AUDIO
        ):
            bot_audio.set()

    await asyncio.wait_for(bot_audio.wait(), 30)
    await asyncio.sleep(3)  # the greeting plays
    await visitor.disconnect()
    result = await asyncio.wait_for(call, 30)
    assert result.disconnected_by == "caller" and result.transport == "livekit"
    assert any(turn.role == "bot" for turn in result.transcript)
    await state.close()
