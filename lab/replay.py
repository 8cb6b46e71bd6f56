"""Replay a dataset through providers: samples -> cached or observed -> scored -> stored.

Bounded concurrency (a worker per slot, each observing one sample at a time), a progress bar
on stderr, and the result store as the cache: only samples whose key changed reach the
provider. Identical samples (the same call at three SNRs, for an LLM that reads text) are
observed once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from lab.data.manifest import Dataset
from lab.runners.base import Observation, Progress, Runner, Sample, Subject
from lab.store import ResultStore, SampleResult, observation_key
from shared.pricing import price_table


@dataclass
class ProviderRun:
    """One provider's results on one dataset."""

    dataset: str
    spec: Subject
    runner: Runner[Any]
    results: list[SampleResult] = field(default_factory=list)
    progress: Progress = field(default_factory=Progress)


async def _observe_all(
    dataset: Dataset, spec: Subject, runner: Runner[Any], todo: list[Sample], show: bool
) -> dict[str, Observation]:
    if not todo:  # all cached: no worker to start (an end-to-end one starts a server)
        return {}
    queue: asyncio.Queue[Sample] = asyncio.Queue()
    for sample in todo:
        queue.put_nowait(sample)
    observed: dict[str, Observation] = {}
    bar = tqdm(total=len(todo), desc=spec.label, unit="sample", disable=not show, leave=False)

    async def work() -> None:
        async with runner.worker(dataset, spec) as worker:
            while not queue.empty():
                sample = queue.get_nowait()
                try:
                    observed[sample.id] = await worker.observe(sample)
                except Exception as error:  # one failed sample must not cost the run
                    observed[sample.id] = {"error": f"{type(error).__name__}: {error}"}
                bar.update()

    slots = max(1, min(runner.settings.concurrency, len(todo)))
    try:
        await asyncio.gather(*(work() for _ in range(slots)))
    finally:
        bar.close()
    return observed


async def replay(
    dataset: Dataset,
    spec: Subject,
    runner: Runner[Any],
    store: ResultStore | None = None,
    *,
    progress: bool = True,
) -> ProviderRun:
    """Every sample of ``dataset`` through ``spec``, reusing what ``store`` already holds."""
    run = ProviderRun(dataset.name, spec, runner)
    samples = runner.samples(dataset)
    keys = {sample.id: observation_key(runner, spec, sample) for sample in samples}
    path = store.path(dataset.name, runner, spec) if store else None
    cached = store.load(path) if store and path else {}
    todo = {keys[s.id]: s for s in samples if keys[s.id] not in cached}
    observed = await _observe_all(dataset, spec, runner, list(todo.values()), progress)
    by_key = {key: observed[sample.id] for key, sample in todo.items()}
    table = price_table()
    for sample in samples:
        key = keys[sample.id]
        observation = by_key[key] if key in by_key else cached[key].observation
        run.results.append(_result(dataset, spec, runner, sample, key, observation, table.version))
    run.progress.cached = sum(1 for s in samples if keys[s.id] in cached)
    run.progress.computed = len(todo)
    run.progress.errors = [f"{r.sample}: {r.error}" for r in run.results if r.error]
    run.progress.failed = len(run.progress.errors)
    if store and path:
        store.save(path, run.results)
    return run


def _result(
    dataset: Dataset,
    spec: Subject,
    runner: Runner[Any],
    sample: Sample,
    key: str,
    observation: Observation,
    prices: str,
) -> SampleResult:
    usage, _ = price_table().priced(runner.usage(sample, observation, spec))
    costs = [u.cost_usd for u in usage]
    return SampleResult(
        dataset=dataset.name,
        sample=sample.id,
        row=sample.row.id,
        source=sample.row.source,
        runner=runner.name,
        provider=spec.label,
        spec=spec.model_dump(mode="json"),
        settings=runner.settings.keyed(),
        normalizer=runner.normalizer(),
        price_table=prices,
        key=key,
        audio_s=round(sample.audio_s, 3),
        observation=observation,
        scores=runner.score(sample, observation),
        cost_usd=None if not costs or None in costs else sum(c or 0.0 for c in costs),
        error=observation.get("error"),
    )
