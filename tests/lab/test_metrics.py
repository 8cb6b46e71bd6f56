"""Metrics pool over samples, count only what they judge, and know which way is better."""

from __future__ import annotations

from typing import Any

import pytest

from lab import registry
from lab.store import SampleResult


def result(scores: dict[str, Any], observation: dict[str, Any] | None = None, **extra: Any):
    return SampleResult(
        dataset="d",
        sample="s",
        row="r",
        source=extra.pop("source", "src"),
        runner="stt",
        provider="stt:x",
        spec={},
        settings={},
        key="k",
        audio_s=extra.pop("audio_s", 60.0),
        observation=observation or {},
        scores=scores,
        **extra,
    )


def value(name: str, results: list[SampleResult]) -> float | None:
    return registry.metric(name).compute(results)


def test_error_rates_are_pooled_not_averaged() -> None:
    results = [
        result({"word_errors": 1, "words": 2, "char_errors": 1, "chars": 10}),
        result({"word_errors": 0, "words": 8, "char_errors": 0, "chars": 30}),
    ]
    assert value("wer", results) == pytest.approx(0.1)  # not (0.5 + 0) / 2
    assert value("cer", results) == pytest.approx(1 / 40)
    assert value("wer", []) is None


def test_digit_accuracy_counts_samples_with_numbers_only() -> None:
    results = [result({"digits_ok": True}), result({"digits_ok": False}), result({})]
    assert value("digit_accuracy", results) == 0.5


def test_latency_percentiles_and_rtfx_use_what_was_measured() -> None:
    results = [
        result({}, {"ttfs_s": t, "compute_s": 6.0, "pace": "fast"}) for t in (0.4, 0.5, 0.6, None)
    ]
    results.append(result({}, {"ttfs_s": 9.0, "compute_s": 60.0, "pace": "realtime"}))
    assert value("ttfs_p50_s", results) == pytest.approx(0.55)
    assert value("rtfx", results) == pytest.approx(10.0)  # real-time samples left out
    assert value("first_partial_p50_s", results) is None


def test_tool_accuracy_judges_turns_with_a_call_expected_or_made() -> None:
    keys = ("expected", "made", "names_ok", "calls_ok", "ttft_s", "answer_chars")
    turns = [
        dict(zip(keys, values, strict=True))
        for values in [
            (1, 1, True, True, 0.1, 10),
            (1, 1, True, False, 0.3, 20),  # the right function, wrong arguments
            (0, 1, False, False, None, 0),  # a call nobody asked for
            (0, 0, True, True, 0.2, 30),  # nothing to call, nothing called: not judged
        ]
    ]
    results = [result({"turns": turns})]
    assert value("tool_accuracy", results) == pytest.approx(1 / 3)
    assert value("tool_name_accuracy", results) == pytest.approx(2 / 3)
    assert value("ttft_p50_s", results) == pytest.approx(0.2)
    assert value("answer_chars_mean", results) == 15


def test_tokens_per_second_pool_the_turns_that_answered() -> None:
    turns = [
        {"expected": 0, "made": 0, "output_tokens": 30, "response_s": 0.5},
        {"expected": 0, "made": 0, "output_tokens": 10, "response_s": 0.5},
        {"expected": 0, "made": 0, "output_tokens": 0, "response_s": 0.0},  # no response
    ]
    assert value("tokens_per_s", [result({"turns": turns})]) == pytest.approx(40.0)


def test_cost_is_per_1000_minutes_and_per_hour() -> None:
    results = [result({}, cost_usd=0.0077, audio_s=60.0), result({}, cost_usd=None)]
    assert value("cost_per_1000_min_usd", results) == pytest.approx(7.7)
    assert value("cost_per_hour_usd", results) == pytest.approx(0.462)


def test_every_metric_knows_which_way_is_better() -> None:
    better = {name: registry.metric(name).higher_is_better for name in registry.metric_names()}
    assert {name for name, higher in better.items() if higher} == {
        "answered_rate",
        "digit_accuracy",
        "rtfx",
        "tokens_per_s",
        "tool_accuracy",
        "tool_name_accuracy",
    }
    with pytest.raises(LookupError, match="no metric 'bleu'"):
        registry.metric("bleu")


def test_tts_metrics_pool_synthesis_time_and_count_characters() -> None:
    results = [
        result({"word_errors": 1, "words": 10}, {"synth_s": 0.2, "audio_s": 2.0, "characters": 40}),
        result({"word_errors": 0, "words": 10}, {"synth_s": 0.1, "audio_s": 1.0, "characters": 20}),
    ]
    assert value("rtf", results) == pytest.approx(0.1)
    assert value("round_trip_wer", results) == pytest.approx(0.05)
    assert value("characters", results) == 60
    assert registry.metric("rtf").higher_is_better is False


def test_v2v_is_per_turn_and_answered_counts_turns_spoken_whole() -> None:
    turns = [{"v2v_ms": 800.0}, {"v2v_ms": 1200.0}, {"v2v_ms": None}]
    results = [result({"spoken": 3, "answered": 2}, {"turns": turns})]
    assert value("v2v_p50_s", results) == pytest.approx(1.0)
    assert value("answered_rate", results) == pytest.approx(2 / 3)
    assert registry.metric("answered_rate").higher_is_better is True
