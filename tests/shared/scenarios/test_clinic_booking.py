"""The clinic_booking scenario: the deterministic schedule, booking and spoken replies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

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


def at(day: str, *times: str) -> list[dict[str, str]]:
    return [{"date": day, "time": time} for time in times]


def say(intent: str, values: dict[str, Any]) -> str:
    reply = SCENARIO.intent(intent).reply
    assert callable(reply)
    return reply(values)


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


async def test_a_closed_day_offers_the_next_open_days_times_nearest_the_wish() -> None:
    closed = await check_availability.invoke({"date": SUNDAY.isoformat()})
    monday = at("2026-11-16", "09:00", "11:00", "14:00")
    assert closed == {"date": "2026-11-15", "open": False, "times": [], "alternatives": monday}
    assert say("check_availability", closed) == (
        "Sorry, we're closed on Sunday, November 15. The next free times are "
        "Monday, November 16 at 9 am, 11 am or 2 pm. Which would suit you?"
    )
    wish = await check_availability.invoke({"date": SUNDAY.isoformat(), "time": "15:00"})
    assert wish["available"] is False
    assert wish["alternatives"] == at("2026-11-16", "14:30", "15:00", "15:30")


async def test_availability_replies_say_free_taken_or_the_days_times() -> None:
    free = await check_availability.invoke({"date": "2026-11-09", "time": "15:00"})
    assert say("check_availability", free) == (
        "Yes, 3 pm on Monday, November 9 is free. Shall I book it for you?"
    )
    taken = await check_availability.invoke({"date": "2026-11-09", "time": "12:00"})
    assert say("check_availability", taken) == (
        "Sorry, 12 pm on Monday, November 9 isn't free. "
        "We have 11 am, 11:30 am or 1 pm. Which would suit you?"
    )
    day = await check_availability.invoke({"date": "2026-11-09"})
    assert say("check_availability", day) == (
        "On Monday, November 9 we have 9 am, 11 am or 2 pm free. Which time would you like?"
    )


def test_a_passed_check_opens_the_name_question_with_is_free() -> None:
    ack = SCENARIO.intent("book_appointment").ack
    assert callable(ack)
    values = {"date": "2026-11-09", "time": "15:00"}
    assert ack({**values, "available": True}) == "Monday, November 9 at 3 pm is free."
    assert ack(values) == "Sure, Monday, November 9 at 3 pm."


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
    assert refused["booked"] is False
    assert refused["alternatives"] == at("2026-11-09", "11:00", "11:30", "13:00")
    assert say("book_appointment", refused) == (
        "Sorry, 12:15 pm on Monday, November 9 isn't available. "
        "I can offer 11 am, 11:30 am or 1 pm. Which would you like?"
    )


async def test_a_booking_on_a_closed_day_is_refused_with_the_next_open_days_times() -> None:
    refused = await book_appointment.invoke({"name": "Jo", "date": "2026-11-15", "time": "10:00"})
    assert refused["booked"] is False
    assert refused["alternatives"] == at("2026-11-16", "09:30", "10:00", "10:30")
    assert say("book_appointment", refused) == (
        "Sorry, 10 am on Sunday, November 15 isn't available. "
        "I can offer Monday, November 16 at 9:30 am, 10 am or 10:30 am. Which would you like?"
    )


def test_a_check_must_name_an_intent_with_a_tool_and_offers() -> None:
    booking = SCENARIO.intent("book_appointment")
    with pytest.raises(ValueError, match="checks with help"):
        replace(SCENARIO, intents=(replace(booking, check="help"), *SCENARIO.intents[1:]))


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
    assert "check_availability (with the time, if given) before asking for the name" in (
        SCENARIO.prompt
    )
