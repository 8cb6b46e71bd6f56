"""Gates fail on a regression in the metric's bad direction, past the tolerance."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.gate import Gate, Gates, Verdict, check
from lab.replay import ProviderRun
from lab.runners.stt import SttRunner
from shared.providers.spec import ProviderSpec
from tests.lab.test_metrics import result

GATES = Path(__file__).resolve().parents[2] / "datasets" / "gates.yaml"


@pytest.mark.parametrize(
    ("metric", "value", "passed"),
    [
        ("wer", 0.06, True),  # worse, but within the tolerance
        ("wer", 0.071, False),
        ("wer", 0.01, True),  # better is never a regression
        ("digit_accuracy", 0.031, True),
        ("digit_accuracy", 0.029, False),
        ("wer", None, False),  # a gated metric that was not measured fails
    ],
)
def test_a_gate_fails_past_its_tolerance_in_the_bad_direction(
    metric: str, value: float | None, passed: bool
) -> None:
    gate = Gate(metric=metric, baseline=0.05, tolerance=0.02)
    verdict = Verdict(gate, "stt:x", value)
    assert verdict.passed is passed
    assert str(verdict).startswith("ok  " if passed else "FAIL")


def test_gates_apply_to_their_dataset_provider_and_source() -> None:
    results = [
        result({"word_errors": 1, "words": 10}, source="a"),
        result({"word_errors": 5, "words": 10}, source="b"),
    ]
    run = ProviderRun("speech", ProviderSpec(kind="stt", name="x"), SttRunner(), results)
    gates = Gates(
        gates=[
            Gate(dataset="speech", source="a", metric="wer", baseline=0.1),
            Gate(dataset="speech", metric="wer", baseline=0.1),
            Gate(dataset="other", metric="wer", baseline=0.1),
            Gate(provider="stt:y", metric="wer", baseline=0.1),
            Gate(metric="tool_accuracy", baseline=1.0),  # not an STT metric: skipped
        ]
    )
    verdicts = check(gates, [run])
    assert [(v.gate.source, v.value, v.passed) for v in verdicts] == [
        ("a", 0.1, True),
        ("(all)", 0.3, False),
    ]


def test_the_project_gates_load() -> None:
    gates = Gates.load(GATES)
    assert {g.metric for g in gates.gates} >= {"wer", "tool_accuracy", "ttfs_p95_s"}


def test_a_gate_on_an_unknown_metric_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text("gates: [{metric: bleu, baseline: 1}]")
    with pytest.raises(LookupError, match="bleu"):
        Gates.load(path)
