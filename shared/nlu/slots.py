"""Slot values from ASR text: digit strings, dates, times, person names and keyword choices.

Whisper writes what callers say in many shapes: "4512", "4 5 1 2", "four five one two",
"forty five twelve", "double five"; "3 pm", "3:30 p.m.", "three thirty". Each extractor reads
all of them the same way and returns ``None`` when the text holds no value, never guessing.

Two modes: a *trigger* (the sentence that started an intent, e.g. "check order 4512") yields
only well-evidenced values (a cue word before a number, a cue phrase before a name); an
*answer* (the reply to the bot's question, e.g. "10 of clubs") is read permissively.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_REPEAT = {"double": 2, "triple": 3}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_NUMBER_WORDS = _UNITS.keys() | _TEENS.keys() | _TENS.keys() | _REPEAT.keys() | {"hundred", "oh"}
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    """Lower-cased words and numerals; punctuation and dashes separate tokens."""
    return _TOKEN.findall(text.lower())


def _is_number_token(token: str, in_run: bool) -> bool:
    if token.isdigit():
        return True
    if token == "oh":  # "four oh one": a zero only between other digits
        return in_run
    return token in _NUMBER_WORDS


def _pieces(run: Sequence[str]) -> list[str]:
    """Number tokens grouped the way they are spoken: "forty five" -> "45", "double 5" -> "55"."""
    pieces: list[str] = []
    i = 0
    while i < len(run):
        word, nxt = run[i], run[i + 1] if i + 1 < len(run) else ""
        if word in _REPEAT and (nxt in _UNITS or (nxt.isdigit() and len(nxt) == 1)):
            pieces.append(str(_UNITS.get(nxt, nxt)) * _REPEAT[word])
            i += 2
        elif word in _TENS and nxt in _UNITS and nxt != "zero":
            pieces.append(str(_TENS[word] + _UNITS[nxt]))
            i += 2
        else:
            value = _UNITS.get(word, _TEENS.get(word, _TENS.get(word)))
            pieces.append(word if word.isdigit() or word == "hundred" else str(value or 0))
            i += 1
    return pieces


def _run_digits(run: Sequence[str]) -> str:
    """Digits of one run of number tokens; "five hundred twelve" -> "512"."""
    pieces = _pieces(run)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if piece == "hundred":
            i += 1
            continue
        if i + 1 < len(pieces) and pieces[i + 1] == "hundred" and len(piece) == 1:
            hundreds = int(piece) * 100
            tail = pieces[i + 2] if i + 2 < len(pieces) else ""
            small = tail.isdigit() and len(tail) <= 2
            out.append(str(hundreds + int(tail)) if small else str(hundreds))
            i += 3 if small else 2
            continue
        out.append(piece)
        i += 1
    return "".join(out)


def extract_digits(
    text: str, *, cues: Sequence[str] = (), answer: bool = False, cue_required: bool = False
) -> str | None:
    """A digit string ("55", "4512") from numerals or number words.

    A run right after a cue word ("order 4512", "extension is 55") wins. Otherwise an answer
    takes its first run ("10 of clubs" -> "10") and a trigger only a run of two or more
    digits, so "I have one problem" yields nothing; ``cue_required`` takes only cued runs.
    """
    words = tokens(text)
    runs: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        if not _is_number_token(words[i], in_run=False):
            i += 1
            continue
        start = i
        i += 1
        while i < len(words) and _is_number_token(words[i], in_run=True):
            i += 1
        if digits := _run_digits(words[start:i]):
            runs.append((start, digits))
    cue_set = {cue.lower() for cue in cues}
    for start, digits in runs:
        if cue_set & set(words[max(0, start - 3) : start]):
            return digits
    for _, digits in runs:
        if not cue_required and (answer or len(digits) >= 2):
            return digits
    return None


def _day_of_month(day: int, today: date) -> date | None:
    """The next date (today included) whose day of month is ``day``."""
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _ordinal(words: Sequence[str], i: int) -> int | None:
    """The day number an ordinal at ``words[i]`` names: "3rd", "third", "twenty first"."""
    word = words[i]
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", word):
        return int(m.group(1))
    if word in _TENS and i + 1 < len(words) and words[i + 1] in _ORDINALS:
        return _TENS[word] + _ORDINALS[words[i + 1]]
    return _ORDINALS.get(word)


def extract_date(text: str, today: date) -> date | None:
    """A calendar date, relative words resolved against ``today``.

    Reads "today", "tomorrow", "the day after tomorrow", weekdays ("Monday", "next Tuesday":
    the next one after today), "March 3rd" / "the 3rd of March" (this year or next), "on the
    3rd" (this month or next) and ISO dates.
    """
    lowered = text.lower()
    if m := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", lowered):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if "day after tomorrow" in lowered:
        return today + timedelta(days=2)
    words = tokens(lowered)
    if "tomorrow" in words:
        return today + timedelta(days=1)
    if "today" in words or "tonight" in words:
        return today
    for i, word in enumerate(words):
        weekday = _WEEKDAYS.get(word.removesuffix("s"))
        if weekday is not None:
            return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
        month = _MONTHS.get(word)
        if month is not None and (day := _month_day(words, i)) is not None:
            candidate = _safe_date(today.year, month, day)
            if candidate is not None and candidate < today:
                candidate = _safe_date(today.year + 1, month, day)
            return candidate
    for i in range(1, len(words)):
        if words[i - 1] in {"the", "on"} and (day := _ordinal(words, i)):
            return _day_of_month(day, today)
    return None


def _month_day(words: Sequence[str], i: int) -> int | None:
    """The day next to a month name at ``words[i]``: "March 3", "3rd of March"."""
    after = [j for j in (i + 1, i + 2) if j < len(words)]
    for j in after:
        if words[j].isdigit() and 1 <= int(words[j]) <= 31:
            return int(words[j])
        if (day := _ordinal(words, j)) is not None:
            return day
    for j in (i - 2, i - 3):
        if j >= 0 and words[j + 1] == "of" and (day := _ordinal(words, j)) is not None:
            return day
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_MERIDIEM = r"(?:\s*(am|pm|oclock))?"
_TIME_PATTERNS = (
    re.compile(r"\b(\d{1,2})[:.](\d{2})" + _MERIDIEM + r"\b"),
    re.compile(r"\b(\d{1,2})\s+(\d{2})\s*(am|pm|oclock)\b"),
    re.compile(r"\b(\d{1,2})()\s*(am|pm|oclock)\b"),
    re.compile(r"\b(\d{1,2})(?:\s+(\d{2}))?()\s+in the (?:morning|afternoon|evening)\b"),
    re.compile(
        r"\b(?:at|around|by|about)\s+(\d{1,2})(?:\s+(\d{2}))?"
        + _MERIDIEM
        + r"(?!\s*(?:st|nd|rd|th)\b)\b"
    ),
)
_ANSWER_TIME = re.compile(r"^\D*?(\d{1,2})(?:\s+(\d{2}))?" + _MERIDIEM + r"\W*(?:please)?\W*$")


def _spoken_numbers(text: str) -> str:
    """Number words as numerals for time reading: "three thirty" -> "3 30"."""
    text = re.sub(
        rf"\b({'|'.join(_TENS)})[\s-]({'|'.join(_UNITS)})\b",
        lambda m: str(_TENS[m.group(1)] + _UNITS[m.group(2)]),
        text,
    )
    table = {**_UNITS, **_TEENS, **_TENS, "oh": 0}
    return re.sub(r"\b[a-z]+\b", lambda m: str(table.get(m.group(0), m.group(0))), text)


def extract_time(text: str, *, answer: bool = False) -> str | None:
    """A clock time as "HH:MM" from "3 pm", "15:00", "3:30 p.m.", "three thirty", "noon".

    Without am/pm, hours 1-7 are read as afternoon (business hours). A bare number counts
    as a time only after "at" ("at 3"), or as the whole answer to a question about time.
    """
    lowered = text.lower().replace("p.m.", "pm").replace("a.m.", "am").replace("o'clock", "oclock")
    lowered = re.sub(r"\b(noon|midday)\b", "12:00", lowered)
    spoken = _spoken_numbers(lowered)
    spoken = re.sub(r"\bhalf past (\d{1,2})\b", r"\1:30", spoken)
    spoken = re.sub(r"\bquarter past (\d{1,2})\b", r"\1:15", spoken)
    spoken = re.sub(
        r"\bquarter to (\d{1,2})\b", lambda m: f"{(int(m.group(1)) - 2) % 12 + 1}:45", spoken
    )
    patterns = (*_TIME_PATTERNS, _ANSWER_TIME) if answer else _TIME_PATTERNS
    for pattern in patterns:
        if m := pattern.search(spoken):
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            meridiem = m.group(3) or ""
            if "afternoon" in lowered or "evening" in lowered:
                meridiem = meridiem or "pm"
            elif "morning" in lowered:
                meridiem = meridiem or "am"
            if meridiem == "pm" and hour < 12:
                hour += 12
            elif meridiem == "am" and hour == 12:
                hour = 0
            elif meridiem in ("", "oclock") and 1 <= hour <= 7:
                hour += 12
            if hour <= 23 and minute <= 59:
                return f"{hour:02d}:{minute:02d}"
    return None


_NAME_CUE = re.compile(
    r"\b(my name is|my name's|name is|the name is|it's|it is|this is|i'm|i am|call me)\s+(.+)",
    re.IGNORECASE,
)
_LOOSE_CUES = {"my name is", "my name's", "name is", "the name is", "call me"}
_NOT_NAMES = {
    "a", "an", "the", "and", "calling", "here", "speaking", "please", "thanks", "thank",
    "you", "yes", "yeah", "sure", "okay", "ok", "hi", "hello", "so", "um", "uh", "well",
    "just", "not", "looking", "trying", "going", "having", "about", "for", "with", "my",
    "is", "are", "was", "it", "it's", "i", "i'm", "me", "no", "of", "to", "in", "on", "at",
    "what", "how", "can", "do", "don't", "want", "need", "like", "would", "sorry", "book",
    "appointment", "today", "tomorrow", "morning", "afternoon", "evening", "bye", "goodbye",
    *_WEEKDAYS, *(name.lower() for name in calendar.month_name if name),
}  # fmt: skip


def _name_words(text: str, *, capitalized_only: bool) -> str | None:
    words: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z'-]*", text):
        if word.lower() in _NOT_NAMES or (capitalized_only and not word[0].isupper()):
            break
        words.append(word)
        if len(words) == 3:
            break
    return " ".join(w[0].upper() + w[1:] for w in words) or None


def extract_name(text: str, *, answer: bool = False) -> str | None:
    """A person's name: "my name is John Smith", "this is Jane", or a bare "John Smith." answer.

    After "this is" / "I'm" / "it's" only capitalized words count, so "it's broken" is no name.
    """
    if m := _NAME_CUE.search(text):
        loose = m.group(1).lower() in _LOOSE_CUES
        if name := _name_words(m.group(2), capitalized_only=not loose):
            return name
    if answer:
        words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
        kept = [w for w in words if w.lower() not in {"yes", "yeah", "sure", "okay", "ok"}]
        if 1 <= len(kept) <= 3 and not any(w.lower() in _NOT_NAMES for w in kept):
            return " ".join(w[0].upper() + w[1:] for w in kept)
    return None


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A keyword matched at a word start, so "password" also finds "passwords"."""
    return re.compile(r"\b" + r"\s+".join(map(re.escape, keyword.lower().split())))


def keyword_hits(text: str, keywords: Sequence[str]) -> int:
    """How many of ``keywords`` occur in ``text`` (word-start match, case-insensitive)."""
    lowered = text.lower()
    return sum(1 for keyword in keywords if _keyword_pattern(keyword).search(lowered))


def extract_choice(text: str, choices: Mapping[str, Sequence[str]]) -> str | None:
    """The choice whose keywords occur most often in ``text`` (the first one on a tie)."""
    best, best_hits = None, 0
    for choice, keywords in choices.items():
        hits = keyword_hits(text, (choice, *keywords))
        if hits > best_hits:
            best, best_hits = choice, hits
    return best


_YES = {"yes", "yeah", "yep", "sure", "please", "okay", "ok", "correct", "right", "absolutely"}


def is_affirmative(text: str) -> bool:
    """A short yes ("Yes please.", "Sure"), not a sentence that happens to contain "right"."""
    words = tokens(text)
    return 0 < len(words) <= 4 and words[0] in _YES
