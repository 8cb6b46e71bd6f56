"""Tables of a run's metrics, per source and over all of it, and their JSON form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab import registry
from lab.replay import ProviderRun
from lab.store import SampleResult

ALL = "(all)"


def by_source(results: Sequence[SampleResult]) -> dict[str, list[SampleResult]]:
    groups: dict[str, list[SampleResult]] = {}
    for result in results:
        groups.setdefault(result.source, []).append(result)
    return {**dict(sorted(groups.items())), ALL: list(results)}


def shown(results: Sequence[SampleResult]) -> dict[str, list[SampleResult]]:
    """The groups a table shows: each source, then all; only all when there is one."""
    groups = by_source(results)
    return groups if len(groups) > 2 else {ALL: groups[ALL]}


def measure(run: ProviderRun) -> dict[str, dict[str, float | None]]:
    """Every metric of the run's runner, per source and over all samples."""
    return {
        source: {name: registry.metric(name).compute(group) for name in run.runner.metrics}
        for source, group in by_source(run.results).items()
    }


def table(run: ProviderRun) -> str:
    metrics = [registry.metric(name) for name in run.runner.metrics]
    header = ["provider", "source", "n", *[m.name for m in metrics]]
    rows = [header]
    for source, group in shown(run.results).items():
        values = [m.format(m.compute(group)) for m in metrics]
        rows.append([run.spec.label, source, str(len(group)), *values])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    first = run.results[0] if run.results else None
    notes = [
        f"dataset {run.dataset}: {len(run.results)} samples "
        f"({run.progress.computed} computed, {run.progress.cached} from cache, "
        f"{run.progress.failed} failed)",
    ]
    if first and first.normalizer:
        notes.append(f"normalizer {first.normalizer}")
    if first and first.price_table:
        notes.append(f"prices {first.price_table}")
    return "\n".join([" | ".join(notes), *lines, *(f"  failed {e}" for e in run.progress.errors)])


def summary(run: ProviderRun) -> dict[str, Any]:
    first = run.results[0] if run.results else None
    return {
        "dataset": run.dataset,
        "provider": run.spec.label,
        "runner": run.runner.name,
        "samples": len(run.results),
        "normalizer": first.normalizer if first else None,
        "price_table": first.price_table if first else None,
        "metrics": measure(run),
    }
