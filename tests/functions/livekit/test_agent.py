"""``run_room_call`` up to the media: dial-outs that fail, bots that do not exist.

Each leaves a result with the right disposition, releases its slot and deletes the room it
was given, so nothing is left half-created on LiveKit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from functions.livekit.agent import run_room_call
from functions.livekit.request import RoomCallRequest
from functions.state import AppState
from shared.settings import Settings
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.server import serving

DIAL = RoomCallRequest(
    call_id="out-7",
    route="sip_outbound",
    room="call-out-7",
    bot_id="support-desk",
    from_number="+15550100100",
    to_number="+15557654321",
)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[AppState, FakeLiveKit]]:
    fake = FakeLiveKit()
    with serving(fake.app()) as url:
        state = AppState.from_settings(Settings(data_dir=tmp_path, **fake.settings(url)))
        fake.rooms.add(DIAL.room)
        yield state, fake
        await state.close()


@pytest.mark.parametrize(
    ("sip", "disposition", "by"),
    [
        ((486, "Busy Here"), "busy", "caller"),
        ((603, "Decline"), "busy", "caller"),
        ((480, "Temporarily Unavailable"), "no_answer", "timeout"),
        ((487, "Request Terminated"), "no_answer", "timeout"),
        ((503, "Service Unavailable"), "failed", "error"),
    ],
)
async def test_failed_dial_out_leaves_its_disposition_and_no_room(
    world: tuple[AppState, FakeLiveKit], sip: tuple[int, str], disposition: str, by: str
) -> None:
    state, fake = world
    fake.sip_status = sip
    result = await run_room_call(state, DIAL)
    assert result.disconnected_by == by and result.close_code == sip[0]
    assert result.analysis is not None and result.analysis.disposition == disposition
    assert result.close_reason == f"{disposition}: {sip[0]} {sip[1]}"
    assert fake.methods() == ["CreateSIPParticipant", "DeleteRoom"] and fake.rooms == set()
    (dialled,) = [body for method, body in fake.calls if method == "CreateSIPParticipant"]
    assert dialled.sip_trunk_id == "ST_outbound" and dialled.wait_until_answered
    assert (dialled.sip_number, dialled.sip_call_to) == (DIAL.from_number, DIAL.to_number)
    (stored,) = state.outbox.list()
    assert stored.payload["analysis"]["disposition"] == disposition
    assert await state.tracker.count() == 0


async def test_unknown_bot_is_refused_and_its_room_deleted(
    world: tuple[AppState, FakeLiveKit],
) -> None:
    state, fake = world
    request = DIAL.model_copy(update={"bot_id": "nobody"})
    result = await run_room_call(state, request)
    assert result.disconnected_by == "refused" and "nobody" in result.close_reason
    assert fake.methods() == ["DeleteRoom"]


def test_the_request_is_small_and_serializable() -> None:
    assert RoomCallRequest.model_validate_json(DIAL.model_dump_json()) == DIAL
    assert DIAL.call().sample_rate == 16000 and DIAL.call().transport == "livekit"
