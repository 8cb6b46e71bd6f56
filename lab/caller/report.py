"""What the simulated caller heard, measured at its ear.

The session records both sides of the line one 20 ms tick at a time (:class:`Timeline`); this
module turns that record into per-turn numbers after the call, so every measurement is a pure
function of the recording: voice-to-voice latency from the end of the caller's speech to the
first audible bot audio, and how long the bot kept talking once the caller barged in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from shared.audio import rms_dbfs, stereo

RATE = 8000
FRAME_MS = 20
FRAME = RATE * FRAME_MS // 1000
AUDIBLE_DBFS = -45.0
# A bot utterance starts after, and stops before, this much inaudible audio: shorter gaps are
# pauses between words.
GAP_TICKS = 300 // FRAME_MS


def audible(frame: np.ndarray) -> bool:
    return rms_dbfs(frame) > AUDIBLE_DBFS


@dataclass
class TurnSpan:
    """When one caller WAV went down the line, in ticks (end exclusive; None: never/cut)."""

    wav: Path
    start: int | None = None
    end: int | None = None
    completed: bool = False  # all of it was sent (not cut off by the call ending)


@dataclass
class Timeline:
    """Both sides of the line, one 20 ms frame per tick, plus what happened when."""

    caller: list[np.ndarray] = field(default_factory=list)
    bot: list[np.ndarray] = field(default_factory=list)
    turns: list[TurnSpan] = field(default_factory=list)
    clears: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    close_code: int | None = None  # from the server's close frame; 1006: no close frame
    close_reason: str = ""
    closed_by: str = ""  # who hung up first: caller | server
    timed_out: bool = False


@dataclass
class TurnReport:
    caller_wav: str
    spoken: bool
    completed: bool = False  # False: cut off, or never spoken, because the call ended
    start_s: float | None = None
    end_s: float | None = None
    v2v_ms: float | None = None  # end of caller speech -> first audible bot audio
    barge_in_stop_ms: float | None = None  # caller speech over the bot -> bot silent
    cleared: bool = False  # the server sent clear while the caller talked over the bot
    overlap_ms: float = 0.0  # bot audible while the caller was speaking
    heard: str | None = None  # None: not transcribed


@dataclass
class CallReport:
    carrier: str
    url: str
    call_id: str
    bot: str | None
    barge_in: bool
    turns: list[TurnReport]
    duration_s: float
    close_code: int | None
    close_reason: str
    closed_by: str
    timed_out: bool
    errors: list[str]
    audio: np.ndarray = field(repr=False)  # (n, 2) int16: caller left, bot right
    greeting: str | None = None  # None: not transcribed
    recording: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "url": self.url,
            "call_id": self.call_id,
            "bot": self.bot,
            "barge_in": self.barge_in,
            "greeting": self.greeting,
            "turns": [vars(turn) for turn in self.turns],
            "recording": str(self.recording) if self.recording else None,
            "close": {"code": self.close_code, "reason": self.close_reason, "by": self.closed_by},
            "duration_s": self.duration_s,
            "timed_out": self.timed_out,
            "errors": self.errors,
        }

    def text(self) -> str:
        lines = [f"bot: {_said(self.greeting)}"]
        for turn in self.turns:
            if not turn.spoken:
                lines.append(f"caller: {turn.caller_wav} (not spoken: the call had ended)")
                continue
            notes = [] if turn.completed else ["cut off: the call ended"]
            if turn.barge_in_stop_ms is not None:
                notes.append(f"over the bot; it stopped after {turn.barge_in_stop_ms:.0f} ms")
            lines.append(f"caller: {turn.caller_wav}" + "".join(f" ({note})" for note in notes))
            latency = f" (v2v {turn.v2v_ms:.0f} ms)" if turn.v2v_ms is not None else ""
            lines.append(f"bot: {_said(turn.heard)}{latency}")
        close = f"{self.close_code} {self.close_reason}".strip()
        lines.append(f"-- hung up by {self.closed_by or '?'}: {close}")
        lines += [f"-- server error: {error}" for error in self.errors]
        if self.recording:
            lines.append(f"-- recording: {self.recording}")
        return "\n".join(lines)


def _said(text: str | None) -> str:
    if text is None:
        return "(not transcribed)"
    return text or "(nothing heard)"


def _first(flags: list[bool], start: int, stop: int, value: bool = True) -> int | None:
    return next((i for i in range(max(start, 0), min(stop, len(flags))) if flags[i] == value), None)


def _onset_at_or_after(bot: list[bool], start: int, stop: int) -> int | None:
    """First tick in [start, stop) where the bot becomes audible after a gap."""
    return next(
        (
            n
            for n in range(start, min(stop, len(bot)))
            if bot[n] and not any(bot[max(n - GAP_TICKS, 0) : n])
        ),
        None,
    )


def _silent_from(bot: list[bool], start: int) -> int:
    """First tick at or after ``start`` that begins a gap (or the end of the recording)."""
    return next((n for n in range(start, len(bot)) if not any(bot[n : n + GAP_TICKS])), len(bot))


def measure(timeline: Timeline) -> list[TurnReport]:
    bot = [audible(frame) for frame in timeline.bot]
    caller = [audible(frame) for frame in timeline.caller]
    reports = []
    for i, span in enumerate(timeline.turns):
        report = TurnReport(span.wav.name, spoken=span.start is not None, completed=span.completed)
        reports.append(report)
        if span.start is None or span.end is None:
            continue
        report.start_s, report.end_s = span.start * FRAME_MS / 1000, span.end * FRAME_MS / 1000
        speech_start = _first(caller, span.start, span.end)
        if speech_start is None:
            continue
        speech_end = 1 + max(n for n in range(speech_start, span.end) if caller[n])
        report.overlap_ms = float(sum(bot[speech_start:speech_end]) * FRAME_MS)
        later = [t.start for t in timeline.turns[i + 1 :] if t.start is not None]
        onset = _onset_at_or_after(bot, speech_end, later[0] if later else len(bot))
        if onset is not None:
            report.v2v_ms = float((onset - speech_end) * FRAME_MS)
        if any(bot[max(speech_start - GAP_TICKS, 0) : speech_start + 1]):
            stopped = _silent_from(bot, speech_start)
            report.barge_in_stop_ms = float((stopped - speech_start) * FRAME_MS)
            report.cleared = any(speech_start <= tick <= stopped for tick in timeline.clears)
    return reports


def bot_segments(timeline: Timeline) -> list[tuple[int, int]]:
    """Tick ranges of what the bot said: the greeting, then each reply.

    Each range runs to the end of the next caller turn, so speech the caller talked over is
    heard with the utterance it belongs to.
    """
    ends = [t.end for t in timeline.turns if t.start is not None and t.end is not None]
    bounds = [0, *ends, len(timeline.bot)]
    return list(pairwise(bounds))


def transcribe_heard(report: CallReport, timeline: Timeline) -> None:
    """Fill the greeting and each reply with what local Whisper makes of the bot's audio."""
    from shared.providers.local_whisper.model import transcribe

    texts = []
    for start, end in bot_segments(timeline):
        frames = timeline.bot[start:end]
        speech = any(audible(frame) for frame in frames)
        texts.append(transcribe(np.concatenate(frames), RATE) if speech else "")
    report.greeting = texts[0]
    spoken = [turn for turn in report.turns if turn.spoken]
    for turn, text in zip(spoken, texts[1:], strict=False):
        turn.heard = text


def stereo_audio(timeline: Timeline) -> np.ndarray:
    empty = np.zeros(0, dtype=np.int16)
    caller = np.concatenate(timeline.caller) if timeline.caller else empty
    bot = np.concatenate(timeline.bot) if timeline.bot else empty
    return stereo(caller, bot)
