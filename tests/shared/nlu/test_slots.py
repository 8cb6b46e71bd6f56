"""Slot extraction on the shapes Whisper writes numbers, dates, times and names in."""

from __future__ import annotations

from datetime import date

import pytest

from shared.nlu.slots import (
    extract_choice,
    extract_date,
    extract_digits,
    extract_name,
    extract_time,
    is_affirmative,
    keyword_hits,
)

TODAY = date(2026, 11, 5)  # a Thursday


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("5 5", "55"),
        ("55", "55"),
        ("Five five.", "55"),
        ("four five one two", "4512"),
        ("It's 4 5 1 2", "4512"),
        ("10 of clubs.", "10"),
        ("double five", "55"),
        ("triple two one", "2221"),
        ("forty five twelve", "4512"),
        ("fifty five", "55"),
        ("five hundred twelve", "512"),
        ("four oh one", "401"),
        ("4-5-1-2", "4512"),
        ("one", "1"),
    ],
)
def test_answers_read_every_way_of_saying_digits(text: str, digits: str) -> None:
    assert extract_digits(text, answer=True) == digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("I want to check the status of order 4512", "4512"),
        ("my extension is twenty two and I have one problem", "22"),
        ("I have one problem", None),
        ("Oh no, the line is dead", None),
        ("The number you have dialed is not in service.", None),
    ],
)
def test_triggers_take_only_well_evidenced_numbers(text: str, digits: str | None) -> None:
    assert extract_digits(text, cues=("order", "extension")) == digits


def test_a_cued_number_wins_and_can_be_required() -> None:
    text = "Book me at 11, my phone number is 555 1234"
    assert extract_digits(text, cues=("phone",), cue_required=True) == "5551234"
    assert extract_digits("three thirty", cues=("phone",), answer=True, cue_required=True) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("tomorrow", date(2026, 11, 6)),
        ("the day after tomorrow", date(2026, 11, 7)),
        ("today please", TODAY),
        ("Do you have anything free on Monday?", date(2026, 11, 9)),
        ("next Tuesday", date(2026, 11, 10)),
        ("Thursday", date(2026, 11, 12)),  # today's weekday means next week's
        ("on the 3rd", date(2026, 12, 3)),  # passed this month
        ("on the twenty first", date(2026, 11, 21)),
        ("on the 5th", TODAY),
        ("March 3rd", date(2027, 3, 3)),
        ("the 3rd of March", date(2027, 3, 3)),
        ("December 1", date(2026, 12, 1)),
        ("2026-12-01", date(2026, 12, 1)),
        ("May I book something", None),
        ("just a second", None),
        ("2026-02-30", None),
    ],
)
def test_dates_resolve_against_today(text: str, day: date | None) -> None:
    assert extract_date(text, TODAY) == day


def test_the_31st_skips_months_without_one() -> None:
    assert extract_date("on the 31st", date(2026, 11, 5)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "answer", "time"),
    [
        ("tomorrow at 3 pm", False, "15:00"),
        ("15:00", False, "15:00"),
        ("3:30 p.m.", False, "15:30"),
        ("at three thirty", False, "15:30"),
        ("at 9 am", False, "09:00"),
        ("at 10", False, "10:00"),
        ("noon", False, "12:00"),
        ("half past two", False, "14:30"),
        ("quarter to four", False, "15:45"),
        ("four o'clock", False, "16:00"),
        ("three thirty", True, "15:30"),
        ("three please", True, "15:00"),
        ("10 in the morning", True, "10:00"),
        ("ten fifteen", True, "10:15"),
        ("12 am", False, "00:00"),
        ("on the 3rd", False, None),
        ("three thirty", False, None),  # a bare number is a time only as an answer
        ("I have 3 questions", True, None),
    ],
)
def test_times(text: str, answer: bool, time: str | None) -> None:
    assert extract_time(text, answer=answer) == time


@pytest.mark.parametrize(
    ("text", "answer", "name"),
    [
        ("My name is John Smith", False, "John Smith"),
        ("my name is john smith and my phone is 555", False, "John Smith"),
        ("This is Jane.", False, "Jane"),
        ("I'm Jane Doe", False, "Jane Doe"),
        ("Yes, it's Mary O'Brien.", True, "Mary O'Brien"),
        ("John Smith.", True, "John Smith"),
        ("it's broken", False, None),
        ("I'm calling about my order", False, None),
        ("the conference is locked", True, None),
        ("Conference is locked", True, None),
        ("John Smith", False, None),  # no cue, not an answer
    ],
)
def test_names(text: str, answer: bool, name: str | None) -> None:
    assert extract_name(text, answer=answer) == name


CATEGORIES = {
    "conference": ("bridge", "join", "locked"),
    "voicemail": ("voice mail", "password"),
    "calling": ("dial", "not in service"),
}


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("The conference is currently locked and cannot be joined.", "conference"),
        ("The passwords you entered and re-entered did not match.", "voicemail"),
        ("The number you have dialed is not in service.", "calling"),
        ("My voice mail is full", "voicemail"),
        ("hello", None),
    ],
)
def test_choices_by_keywords(text: str, choice: str | None) -> None:
    assert extract_choice(text, CATEGORIES) == choice


def test_keywords_match_at_word_starts_only() -> None:
    assert keyword_hits("Bye now", ["bye"]) == 1
    assert keyword_hits("stop by later", ["bye"]) == 0
    assert keyword_hits("That's   all", ["that's all", "all"]) == 2


@pytest.mark.parametrize(
    ("text", "yes"), [("Yes please.", True), ("Sure", True), ("No.", False), ("", False)]
)
def test_affirmative(text: str, yes: bool) -> None:
    assert is_affirmative(text) is yes
