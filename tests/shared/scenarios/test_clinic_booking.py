"""The clinic_booking scenario: the deterministic schedule, booking and spoken replies."""

from __future__ import annotations

from datetime import date

import pytest

from shared.scenarios.clinic_booking import (
    SCENARIO,
    book_appointment,
    check_availability,
    open_times,
    spoken_date,
    spoken_time,
)

MONDAY, SATURDAY, SUNDAY = date(2026, 11, 9), date(2026, 11, 14), date(2026, 11, 15)


def test_the_schedule_follows_the_opening_hours() -> None:
    weekday = open_times(MONDAY)
    assert weekday[0] == "09:00" and weekday[-1] == "16:30"
    assert "12:00" not in weekday and "12:30" not in weekday  # lunch
    assert open_times(SATURDAY)[-1] == "11:30" and open_times(SUNDAY) == []


async def test_availability_lists_a_spread_or_the_times_nearest_the_wish() -> None:
    spread = await check_availability.invoke({"date": "2026-11-09"})
    assert spread == {"date": "2026-11-09", "open": True, "times": ["09:00", "11:00", "14:00"]}
    near = await check_availability.invoke({"date": "2026-11-09", "time": "12:00"})
    assert near["available"] is False and near["times"] == ["11:00", "11:30", "13:00"]
    closed = await check_availability.invoke({"date": SUNDAY.isoformat()})
    assert closed == {"date": "2026-11-15", "open": False, "times": []}


async def test_booking_returns_a_stable_confirmation_code() -> None:
    arguments = {"name": "John Smith", "date": "2026-11-06", "time": "15:00"}
    booked = await book_appointment.invoke(arguments)
    assert booked["booked"] and booked == await book_appointment.invoke(arguments)
    assert len(booked["confirmation"]) == 6 and booked["confirmation"].isdigit()
    reply = SCENARIO.intent("book_appointment").reply
    assert callable(reply)
    assert reply(booked) == (
        "You're booked, John Smith: Friday, November 6 at 3 pm. "
        f"Your confirmation code is {booked['confirmation']}."
    )


async def test_a_time_not_offered_is_refused_with_alternatives() -> None:
    refused = await book_appointment.invoke({"name": "Jo", "date": "2026-11-09", "time": "12:15"})
    assert refused["booked"] is False and refused["alternatives"] == ["11:00", "11:30", "13:00"]
    reply = SCENARIO.intent("book_appointment").reply
    assert callable(reply)
    assert reply(refused) == (
        "Sorry, 12:15 pm on Monday, November 9 isn't available. "
        "I can offer 11 am, 11:30 am or 1 pm. Which would you like?"
    )


@pytest.mark.parametrize(
    ("time", "spoken"), [("15:00", "3 pm"), ("10:30", "10:30 am"), ("12:00", "12 pm")]
)
def test_times_are_said_the_way_a_receptionist_says_them(time: str, spoken: str) -> None:
    assert spoken_time(time) == spoken


def test_dates_are_said_with_the_weekday() -> None:
    assert spoken_date("2026-11-06") == "Friday, November 6"


def test_the_prompt_gives_a_real_llm_the_argument_formats() -> None:
    assert "YYYY-MM-DD" in SCENARIO.prompt and "HH:MM" in SCENARIO.prompt
    assert "end_call" in SCENARIO.prompt
