"""Metrics: corpus-level numbers from per-sample results, each knowing which way is better.

Rates are pooled (total errors over total reference words, as the Open ASR Leaderboard
computes WER), latencies are percentiles over samples, costs are per 1000 minutes (as
Artificial Analysis quotes STT) or per hour of calls. ``higher_is_better`` is what a gate
reads to tell a regression from an improvement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from lab.store import SampleResult


class Metric(ABC):
    name: ClassVar[str]
    higher_is_better: ClassVar[bool]
    unit: ClassVar[str] = ""  # "%": a fraction shown as a percentage; "s"; "x"; "$"
    description: ClassVar[str] = ""

    @abstractmethod
    def compute(self, results: Sequence[SampleResult]) -> float | None:
        """The metric over ``results``; None when they hold nothing to measure it on."""

    def format(self, value: float | None) -> str:
        if value is None:
            return "-"
        if self.unit == "%":
            return f"{value * 100:.1f}%"
        if self.unit == "s":
            return f"{value:.3f} s"
        if self.unit == "x":
            return f"{value:.1f}x"
        if self.unit == "$":
            return f"${value:.4f}"
        return f"{value:.1f}"


def _values(results: Sequence[SampleResult], key: str, *, scores: bool) -> list[float]:
    found = (r.scores.get(key) if scores else r.observation.get(key) for r in results)
    return [float(v) for v in found if v is not None]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


class _Pooled(Metric):
    higher_is_better = False
    unit = "%"
    errors: ClassVar[str]
    total: ClassVar[str]

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        return _ratio(
            sum(_values(results, self.errors, scores=True)),
            sum(_values(results, self.total, scores=True)),
        )


class WordErrorRate(_Pooled):
    name, errors, total = "wer", "word_errors", "words"
    description = "word error rate, pooled over samples (both texts normalized alike)"


class CharacterErrorRate(_Pooled):
    name, errors, total = "cer", "char_errors", "chars"
    description = "character error rate, pooled over samples"


class DigitAccuracy(Metric):
    name, higher_is_better, unit = "digit_accuracy", True, "%"
    description = "samples whose numbers all came through, of those with numbers"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        found = [r.scores["digits_ok"] for r in results if r.scores.get("digits_ok") is not None]
        return _ratio(sum(found), len(found))


class _Percentile(Metric):
    higher_is_better, unit = False, "s"
    key: ClassVar[str]
    q: ClassVar[float]

    def samples(self, results: Sequence[SampleResult]) -> list[float]:
        return _values(results, self.key, scores=False)

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        values = self.samples(results)
        return float(np.percentile(values, self.q)) if values else None


class TtfsP50(_Percentile):
    name, key, q = "ttfs_p50_s", "ttfs_s", 50
    description = "time to the final transcript from the end of speech (VAD stop - stop_secs)"


class TtfsP95(TtfsP50):
    name, q = "ttfs_p95_s", 95


class FirstPartialP50(_Percentile):
    name, key, q = "first_partial_p50_s", "first_partial_s", 50
    description = "time to the first interim transcript from the start of speech"


class Rtfx(Metric):
    name, higher_is_better, unit = "rtfx", True, "x"
    description = "seconds of audio per second of wall time (fast pace only)"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        fast = [r for r in results if r.observation.get("pace") == "fast"]
        return _ratio(sum(r.audio_s for r in fast), sum(_values(fast, "compute_s", scores=False)))


class CostPer1000Min(Metric):
    name, higher_is_better, unit = "cost_per_1000_min_usd", False, "$"
    description = "list price per 1000 minutes of audio (the price table's version is recorded)"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        priced = [r for r in results if r.cost_usd is not None]
        minutes = sum(r.audio_s for r in priced) / 60
        return _ratio(sum(r.cost_usd or 0.0 for r in priced) * 1000, minutes)


class CostPerHour(CostPer1000Min):
    name = "cost_per_hour_usd"
    description = "list price per hour of calls"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        per_1000_min = super().compute(results)
        return None if per_1000_min is None else per_1000_min * 60 / 1000


def _turns(results: Sequence[SampleResult]) -> Iterator[dict[str, Any]]:
    for result in results:
        yield from result.scores.get("turns", [])


class ToolAccuracy(Metric):
    name, higher_is_better, unit = "tool_accuracy", True, "%"
    description = "turns whose tool calls are right (function and arguments), of turns with any"
    field: ClassVar[str] = "calls_ok"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        judged = [t[self.field] for t in _turns(results) if t["expected"] or t["made"]]
        return _ratio(sum(judged), len(judged))


class ToolNameAccuracy(ToolAccuracy):
    name, field = "tool_name_accuracy", "names_ok"
    description = "turns that called the right functions (arguments aside), of turns with any"


class TtftP50(_Percentile):
    name, key, q = "ttft_p50_s", "ttft_s", 50
    description = "LLM time to first token per turn (Pipecat's TTFB)"

    def samples(self, results: Sequence[SampleResult]) -> list[float]:
        return [t["ttft_s"] for t in _turns(results) if t.get("ttft_s") is not None]


class TtftP95(TtftP50):
    name, q = "ttft_p95_s", 95


class TokensPerSecond(Metric):
    name, higher_is_better, unit = "tokens_per_s", True, ""
    description = "output tokens per second of response, TTFT included (pooled over turns)"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        turns = [t for t in _turns(results) if t.get("response_s")]
        return _ratio(sum(t["output_tokens"] for t in turns), sum(t["response_s"] for t in turns))


class AnswerCharsMean(Metric):
    name, higher_is_better, unit = "answer_chars_mean", False, ""
    description = "characters the bot says per caller turn (shorter suits a phone call)"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        chars = [t["answer_chars"] for t in _turns(results)]
        return _ratio(sum(chars), len(chars))


class TtfaP50(_Percentile):
    name, key, q = "ttfa_p50_s", "ttfa_s", 50
    description = "TTS time to first audible audio, leading silence counted"


class TtfaP95(TtfaP50):
    name, q = "ttfa_p95_s", 95


class TtsFirstByteP50(_Percentile):
    name, key, q = "tts_ttfb_p50_s", "first_byte_s", 50
    description = "TTS time to its first audio chunk, silent or not"


class RealTimeFactor(Metric):
    name, higher_is_better = "rtf", False
    description = "synthesis time over the length of the speech made (pooled; 1: real time)"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        timed = [r for r in results if r.observation.get("synth_s") is not None]
        return _ratio(
            sum(_values(timed, "synth_s", scores=False)),
            sum(_values(timed, "audio_s", scores=False)),
        )

    def format(self, value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"


class RoundTripWer(WordErrorRate):
    name = "round_trip_wer"
    description = "WER of the bundled Whisper on the synthesized speech against its text"


class Characters(Metric):
    name, higher_is_better, unit = "characters", False, ""
    description = "characters synthesized (what TTS bills by)"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        return sum(_values(results, "characters", scores=False)) or None

    def format(self, value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"


class CostPerHourOfSpeech(Metric):
    name, higher_is_better, unit = "cost_per_hour_of_speech_usd", False, "$"
    description = "list price per hour of synthesized speech"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        priced = [r for r in results if r.cost_usd is not None]
        hours = sum(_values(priced, "audio_s", scores=False)) / 3600
        return _ratio(sum(r.cost_usd or 0.0 for r in priced), hours)


class V2vP50(_Percentile):
    name, key, q = "v2v_p50_s", "v2v_ms", 50
    description = "voice to voice at the caller's ear: end of caller speech to first bot audio"

    def samples(self, results: Sequence[SampleResult]) -> list[float]:
        turns = (t for r in results for t in r.observation.get("turns", []))
        return [t["v2v_ms"] / 1000 for t in turns if t.get("v2v_ms") is not None]


class V2vP95(V2vP50):
    name, q = "v2v_p95_s", 95


class AnsweredRate(Metric):
    name, higher_is_better, unit = "answered_rate", True, "%"
    description = "caller turns the bot answered, of those spoken whole"

    def compute(self, results: Sequence[SampleResult]) -> float | None:
        spoken = sum(_values(results, "spoken", scores=True))
        return _ratio(sum(_values(results, "answered", scores=True)), spoken)
