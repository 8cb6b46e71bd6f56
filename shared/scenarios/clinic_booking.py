"""``clinic_booking``: booking appointments at Riverside Family Clinic by phone.

The schedule is a deterministic fake: half-hour appointments on weekdays 9 am to 5 pm (no
appointments over lunch, 12 to 1), Saturday mornings, closed on Sundays. Everything is a
function of the date, so the same request gets the same answer in every call and test.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from typing import Any

from shared.scenarios.base import (
    Intent,
    Knowledge,
    Scenario,
    Slot,
    courtesy_intents,
)
from shared.scenarios.tools import tool

_WEEKDAY_HOURS = [f"{h:02d}:{m:02d}" for h in (9, 10, 11, 13, 14, 15, 16) for m in (0, 30)]
_SATURDAY_HOURS = [f"{h:02d}:{m:02d}" for h in (9, 10, 11) for m in (0, 30)]


def open_times(day: datetime.date) -> list[str]:
    """Every appointment time the clinic offers on ``day`` ("HH:MM")."""
    return {5: _SATURDAY_HOURS, 6: []}.get(day.weekday(), _WEEKDAY_HOURS)


def _nearest(times: list[str], time: str | None, count: int = 3) -> list[str]:
    if time is None:
        return times[:: max(1, len(times) // count)][:count]
    return sorted(times, key=lambda t: abs(int(t[:2]) * 60 + int(t[3:]) - _minutes(time)))[:count]


def _minutes(time: str) -> int:
    hours, minutes = time.split(":")
    return int(hours) * 60 + int(minutes)


def _alternatives(day: datetime.date, time: str | None) -> list[dict[str, str]]:
    """The free times nearest ``time`` on ``day``, or else on the next day with any."""
    for offset in range(14):
        when = day + datetime.timedelta(days=offset)
        if times := open_times(when):
            return [{"date": when.isoformat(), "time": t} for t in sorted(_nearest(times, time))]
    return []


@tool
def check_availability(date: datetime.date, time: str | None = None) -> dict[str, Any]:
    """Check which appointment times are free on a date, optionally near a preferred time.

    Times are 24-hour "HH:MM". Returns whether the clinic is open and a few free times; on a
    day with none free, alternatives: the free times of the next day that has some.
    """
    times = open_times(date)
    result: dict[str, Any] = {"date": date.isoformat(), "open": bool(times)}
    result["times"] = sorted(_nearest(times, time)) if times else []
    if time is not None:
        result["time"] = time
        result["available"] = time in times
    if not times:
        result["alternatives"] = _alternatives(date + datetime.timedelta(days=1), time)
    return result


@tool
def book_appointment(
    name: str, date: datetime.date, time: str, phone: str | None = None
) -> dict[str, Any]:
    """Book an appointment for the caller and return a confirmation code.

    Time is 24-hour "HH:MM". A time the clinic does not offer is refused with alternatives.
    """
    result: dict[str, Any] = {"name": name, "date": date.isoformat(), "time": time}
    if time not in open_times(date):
        return {**result, "booked": False, "alternatives": _alternatives(date, time)}
    digest = hashlib.sha256(f"{name.lower()}|{date}|{time}".encode()).hexdigest()
    return {**result, "booked": True, "confirmation": str(int(digest[:8], 16) % 900000 + 100000)}


def spoken_time(time: str) -> str:
    """ "15:00" -> "3 pm", "10:30" -> "10:30 am": how a receptionist says it."""
    hours, minutes = int(time[:2]), time[3:]
    suffix = "am" if hours < 12 else "pm"
    clock = str(hours % 12 or 12) + ("" if minutes == "00" else f":{minutes}")
    return f"{clock} {suffix}"


def spoken_date(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day:%A}, {day:%B} {day.day}"


def _times(times: list[str]) -> str:
    spoken = [spoken_time(t) for t in times]
    return spoken[0] if len(spoken) == 1 else ", ".join(spoken[:-1]) + " or " + spoken[-1]


def _offers(v: Mapping[str, Any]) -> list[dict[str, str]]:
    """The date and times a reply offers: the alternatives, or the free times of the day."""
    return v.get("alternatives") or [{"date": v["date"], "time": t} for t in v.get("times", ())]


def _choices(v: Mapping[str, Any]) -> str:
    """The offered times, with their day when it is not the day asked about."""
    offered = _offers(v)
    times, day = _times([o["time"] for o in offered]), offered[0]["date"]
    return times if day == v["date"] else f"{spoken_date(day)} at {times}"


def _availability_reply(v: Mapping[str, Any]) -> str:
    day = spoken_date(v["date"])
    if v.get("available"):
        return f"Yes, {spoken_time(v['time'])} on {day} is free. Shall I book it for you?"
    if not v["times"]:
        sorry = f"Sorry, we're {'fully booked' if v['open'] else 'closed'} on {day}."
        if not v["alternatives"]:
            return f"{sorry} Which other day would suit you?"
        return f"{sorry} The next free times are {_choices(v)}. Which would suit you?"
    if "time" in v:
        taken = f"Sorry, {spoken_time(v['time'])} on {day} isn't free."
        return f"{taken} We have {_times(v['times'])}. Which would suit you?"
    return f"On {day} we have {_times(v['times'])} free. Which time would you like?"


def _booking_reply(v: Mapping[str, Any]) -> str:
    day, time = spoken_date(v["date"]), spoken_time(v["time"])
    if v["booked"]:
        return (
            f"You're booked, {v['name']}: {day} at {time}. "
            f"Your confirmation code is {v['confirmation']}."
        )
    sorry = f"Sorry, {time} on {day} isn't available."
    if not v["alternatives"]:
        return f"{sorry} Which other day would suit you?"
    return f"{sorry} I can offer {_choices(v)}. Which would you like?"


HELP = (
    "I can book an appointment, check which times are free, or tell you our hours and "
    "address. What would you like to do?"
)


def _booking_ack(v: Mapping[str, Any]) -> str:
    """ "Sure, Friday, November 6 at 3 pm.", or after a passed check "... at 3 pm is free." """
    if v.get("available"):
        return f"{spoken_date(v['date'])} at {spoken_time(v['time'])} is free."
    day = f", {spoken_date(v['date'])}" if "date" in v else ""
    time = f" at {spoken_time(v['time'])}" if "time" in v else ""
    return f"Sure{day}{time}."


SCENARIO = Scenario(
    name="clinic_booking",
    title="Riverside Family Clinic: appointment booking",
    prompt=(
        "You are the receptionist of Riverside Family Clinic, answering the phone. Keep every "
        "reply to one or two short sentences, plain words, no lists or markdown.\n"
        "- To book: you need the day, the time and the caller's name (a phone number is "
        "optional). Ask for what is missing, one thing at a time. As soon as you know the day, "
        "call check_availability (with the time, if given) before asking for the name; if the "
        "time is not free, offer the times or alternatives it returns. Then call "
        "book_appointment and read the confirmation code back.\n"
        "- To say which times are free on a day, call check_availability.\n"
        "- Pass dates as YYYY-MM-DD and times as 24-hour HH:MM; resolve 'tomorrow' or 'next "
        "Tuesday' against today's date.\n"
        "- Address: 12 Harbour Street, second floor. Hours: weekdays 9 am to 5 pm, Saturday "
        "9 am to noon. Bring photo ID, your insurance card and a list of your medicines.\n"
        "- You cannot give medical advice; for an emergency, tell the caller to dial 911.\n"
        "- When the caller says goodbye or is done, say a short goodbye, then call end_call."
    ),
    tools=(check_availability, book_appointment),
    intents=(
        Intent(
            name="book_appointment",
            examples=(
                "I'd like to book an appointment",
                "Can I make an appointment for tomorrow at 3 pm?",
                "I need to see a doctor on Monday",
                "Book me in for next Tuesday morning",
                "Can I schedule a visit?",
                "I want to come in on Friday at 10",
            ),
            keywords=("book", "appointment", "schedule", "come in"),
            tool="book_appointment",
            ack=_booking_ack,
            slots=(
                Slot("date", "date", prompt="Which day would you like to come in?"),
                Slot("time", "time", prompt="What time would suit you?"),
                Slot("name", "name", prompt="Can I have your name, please?"),
                Slot("phone", "digits", cues=("phone", "number", "mobile")),
            ),
            reply=_booking_reply,
            follow_up="book_appointment",
            offers=_offers,
            check="check_availability",
        ),
        Intent(
            name="check_availability",
            examples=(
                "Do you have anything free on Monday?",
                "Do you have anything on Thursday?",
                "What times are available tomorrow?",
                "Is there an opening on Friday afternoon?",
                "When is the next available appointment?",
                "Are there any free slots on Wednesday?",
            ),
            keywords=("available", "availability", "free", "an opening", "slots", "anything"),
            tool="check_availability",
            slots=(
                Slot("date", "date", prompt="Which day should I check for you?"),
                Slot("time", "time"),
            ),
            reply=_availability_reply,
            follow_up="book_appointment",
            offers=_offers,
        ),
        *courtesy_intents(
            help_reply=HELP, goodbye_reply="Thank you for calling Riverside Family Clinic. Goodbye!"
        ),
    ),
    knowledge=(
        Knowledge(
            name="hours",
            questions=(
                "What are your opening hours?",
                "When are you open?",
                "Are you open on Saturdays?",
                "What time do you close?",
            ),
            answer="We're open weekdays from 9 am to 5 pm, and Saturday from 9 am to noon.",
            keywords=("hours", "open", "close"),
        ),
        Knowledge(
            name="address",
            questions=("Where are you located?", "What's your address?", "How do I find you?"),
            answer="We're at 12 Harbour Street, on the second floor, next to the pharmacy.",
            keywords=("address", "located", "where are you"),
        ),
        Knowledge(
            name="what_to_bring",
            questions=(
                "What should I bring to my appointment?",
                "Do I need to bring anything?",
                "What documents do I need?",
            ),
            answer=(
                "Please bring photo ID, your insurance card and a list of any medicines you take."
            ),
            keywords=("bring",),
        ),
        Knowledge(
            name="parking",
            questions=("Is there parking?", "Where can I park?"),
            answer="There's free parking behind the building; the entrance is on Mill Lane.",
            keywords=("park",),
        ),
    ),
    greeting="Hello, Riverside Family Clinic. " + HELP,
    fallback="Sorry, I didn't catch that. " + HELP,
    reprompt="Are you still there? I can book an appointment or check free times. How can I help?",
)
