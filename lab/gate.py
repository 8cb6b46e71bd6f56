"""CI gates: a metric of a provider on a dataset must not regress past its baseline.

``gates.yaml``::

    version: 1
    gates:
      - {dataset: synthetic_calls, provider: "llm:local-intent", metric: tool_accuracy,
         baseline: 0.97, tolerance: 0.02}

A gate fails when the measured value is worse than ``baseline`` by more than ``tolerance``,
"worse" being the direction the metric's ``higher_is_better`` says. ``source`` narrows a
gate to one source of the dataset. Gates for other datasets or providers are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from lab import registry
from lab.replay import ProviderRun
from lab.report import ALL, by_source


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str | None = None
    provider: str | None = None
    source: str = ALL
    metric: str
    baseline: float
    tolerance: float = Field(0.0, ge=0)


class Gates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    gates: list[Gate]

    @classmethod
    def load(cls, path: Path) -> Gates:
        gates = cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for gate in gates.gates:
            registry.metric(gate.metric)  # an unknown metric fails loudly, not silently
        return gates


@dataclass(frozen=True)
class Verdict:
    gate: Gate
    provider: str
    value: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False  # a gated metric that could not be measured is not a pass
        better = 1 if registry.metric(self.gate.metric).higher_is_better else -1
        return (self.value - self.gate.baseline) * better >= -self.gate.tolerance - 1e-12

    def __str__(self) -> str:
        metric = registry.metric(self.gate.metric)
        bound = (
            self.gate.baseline - self.gate.tolerance
            if metric.higher_is_better
            else (self.gate.baseline + self.gate.tolerance)
        )
        sign = ">=" if metric.higher_is_better else "<="
        where = self.provider + ("" if self.gate.source == ALL else f" [{self.gate.source}]")
        return (
            f"{'ok  ' if self.passed else 'FAIL'} {self.gate.metric} {where}: "
            f"{metric.format(self.value)} (gate {sign} {metric.format(bound)})"
        )


def check(gates: Gates, runs: list[ProviderRun]) -> list[Verdict]:
    """The verdict of every gate that applies to one of ``runs``."""
    verdicts = []
    for run in runs:
        for gate in gates.gates:
            if gate.dataset not in (None, run.dataset) or gate.provider not in (
                None,
                run.spec.label,
            ):
                continue
            if gate.metric not in run.runner.metrics:
                continue
            group = by_source(run.results).get(gate.source, [])
            value = registry.metric(gate.metric).compute(group) if group else None
            verdicts.append(Verdict(gate, run.spec.label, value))
    return verdicts
