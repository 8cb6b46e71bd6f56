"""Lazy registries, lm-evaluation-harness style: ``name -> "module:Class"`` for runners and
metrics, imported on first use. A new runner (TTS, end to end) or metric is one line here or
one ``register_*`` call, and the CLI, reports and gates pick it up by name."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from lab.metrics import Metric
from lab.runners.base import Runner

_RUNNERS: dict[str, str] = {
    "stt": "lab.runners.stt:SttRunner",
    "llm": "lab.runners.llm:LlmRunner",
    "tts": "lab.runners.tts:TtsRunner",
    "e2e": "lab.runners.e2e:E2eRunner",
}
_METRICS: dict[str, str] = {
    name: f"lab.metrics:{cls}"
    for name, cls in {
        "wer": "WordErrorRate",
        "cer": "CharacterErrorRate",
        "digit_accuracy": "DigitAccuracy",
        "ttfs_p50_s": "TtfsP50",
        "ttfs_p95_s": "TtfsP95",
        "first_partial_p50_s": "FirstPartialP50",
        "rtfx": "Rtfx",
        "cost_per_1000_min_usd": "CostPer1000Min",
        "cost_per_hour_usd": "CostPerHour",
        "tool_accuracy": "ToolAccuracy",
        "tool_name_accuracy": "ToolNameAccuracy",
        "ttft_p50_s": "TtftP50",
        "ttft_p95_s": "TtftP95",
        "tokens_per_s": "TokensPerSecond",
        "answer_chars_mean": "AnswerCharsMean",
        "ttfa_p50_s": "TtfaP50",
        "ttfa_p95_s": "TtfaP95",
        "tts_ttfb_p50_s": "TtsFirstByteP50",
        "rtf": "RealTimeFactor",
        "round_trip_wer": "RoundTripWer",
        "characters": "Characters",
        "cost_per_hour_of_speech_usd": "CostPerHourOfSpeech",
        "v2v_p50_s": "V2vP50",
        "v2v_p95_s": "V2vP95",
        "answered_rate": "AnsweredRate",
    }.items()
}


def _load(path: str) -> Any:
    module, attribute = path.split(":")
    return getattr(importlib.import_module(module), attribute)


def register_runner(name: str, path: str) -> None:
    _RUNNERS[name] = path


def register_metric(name: str, path: str) -> None:
    _METRICS[name] = path
    metric.cache_clear()


def runner_names() -> list[str]:
    return sorted(_RUNNERS)


def metric_names() -> list[str]:
    return sorted(_METRICS)


def runner_class(name: str) -> type[Runner]:
    """The runner registered under ``name`` (a provider kind names its runner)."""
    if name not in _RUNNERS:
        raise LookupError(f"no runner {name!r} (registered: {', '.join(runner_names())})")
    runner: type[Runner] = _load(_RUNNERS[name])
    return runner


@cache
def metric(name: str) -> Metric:
    if name not in _METRICS:
        raise LookupError(f"no metric {name!r} (registered: {', '.join(metric_names())})")
    instance: Metric = _load(_METRICS[name])()
    return instance
