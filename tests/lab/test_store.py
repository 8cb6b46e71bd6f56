"""The result store is the cache: only what changed reaches the provider again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.data.manifest import Dataset, ManifestRow, Turn
from lab.replay import replay
from lab.runners.base import Observation, Runner, RunnerSettings, Sample, Scores
from lab.store import ResultStore, observation_key
from shared.providers.spec import ProviderSpec

SPEC = ProviderSpec(kind="stt", name="fake")


@dataclass(frozen=True)
class FakeSettings(RunnerSettings):
    failing: tuple[str, ...] = ()


class FakeRunner(Runner):
    """Hears "heard <audio>"; counts what it was asked and how many at once."""

    name, kind, metrics = "fake", "stt", ("wer",)

    def __init__(self, settings: FakeSettings | None = None) -> None:
        self.settings: FakeSettings = settings or FakeSettings()
        self.observed: list[str] = []
        self.active = self.peak = 0

    def samples(self, dataset: Dataset) -> list[Sample]:
        return [Sample(r.id, r, r.duration_s, {"audio": r.audio}) for r in dataset.rows]

    @asynccontextmanager
    async def worker(self, dataset: Dataset, spec: ProviderSpec) -> AsyncIterator[FakeRunner]:
        yield self

    async def observe(self, sample: Sample) -> Observation:
        self.observed.append(sample.id)
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        if sample.row.audio in self.settings.failing:
            raise RuntimeError("line dropped")
        return {"hypothesis": f"heard {sample.row.audio}"}

    def score(self, sample: Sample, observation: Observation) -> Scores:
        return {"right": observation.get("hypothesis") == sample.row.turns[0].text}


def row(name: str, text: str | None = None, audio: str | None = None) -> ManifestRow:
    audio = audio or f"{name}.wav"
    return ManifestRow(
        id=name,
        audio=audio,
        sample_rate=8000,
        duration_s=2.0,
        licence="CC0-1.0",
        source="test",
        turns=[Turn(role="caller", text=text or f"heard {audio}")],
    )


def dataset(*rows: ManifestRow) -> Dataset:
    return Dataset("fakes", Path("."), list(rows))


async def test_a_rerun_only_observes_what_changed(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    first = FakeRunner()
    run = await replay(dataset(row("a"), row("b")), SPEC, first, store, progress=False)
    assert sorted(first.observed) == ["a", "b"] and run.progress.computed == 2
    assert [r.scores["right"] for r in run.results] == [True, True]

    # A corrected reference is rescored from the cache; new audio is heard again.
    again = FakeRunner()
    changed = dataset(row("a", text="something else"), row("b", audio="b2.wav"))
    run = await replay(changed, SPEC, again, store, progress=False)
    assert again.observed == ["b"] and (run.progress.cached, run.progress.computed) == (1, 1)
    assert [r.scores["right"] for r in run.results] == [False, True]
    lines = store.path("fakes", again, SPEC).read_text().splitlines()
    assert len(lines) == 2  # the file holds the latest result of each sample


async def test_failures_are_reported_and_tried_again(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    failing = FakeRunner(FakeSettings(failing=("b.wav",)))
    run = await replay(dataset(row("a"), row("b")), SPEC, failing, store, progress=False)
    assert run.progress.errors == ["b: RuntimeError: line dropped"]
    retry = FakeRunner(FakeSettings(failing=("b.wav",)))
    await replay(dataset(row("a"), row("b")), SPEC, retry, store, progress=False)
    assert retry.observed == ["b"]


async def test_identical_samples_are_observed_once_within_the_bound() -> None:
    runner = FakeRunner(FakeSettings(concurrency=3))
    rows = [row(f"r{i}", audio=f"{i % 5}.wav") for i in range(10)]
    run = await replay(dataset(*rows), SPEC, runner, progress=False)
    assert len(runner.observed) == 5 and len(run.results) == 10
    assert runner.peak == 3


@pytest.mark.parametrize(
    "change",
    [
        {"spec": ProviderSpec(kind="stt", name="fake", model="v2")},
        {"settings": FakeSettings(failing=("x.wav",))},
        {"inputs": {"audio": "other.wav"}},
    ],
)
def test_the_key_covers_provider_settings_and_inputs(change: dict[str, object]) -> None:
    sample = FakeRunner().samples(dataset(row("a")))[0]
    base = observation_key(FakeRunner(), SPEC, sample)
    runner = FakeRunner(change.get("settings"))  # type: ignore[arg-type]
    spec = change.get("spec", SPEC)
    if "inputs" in change:
        sample = Sample(sample.id, sample.row, sample.audio_s, change["inputs"])  # type: ignore[arg-type]
    assert observation_key(runner, spec, sample) != base  # type: ignore[arg-type]
    assert observation_key(FakeRunner(FakeSettings(concurrency=8)), SPEC, sample) == (
        observation_key(FakeRunner(), SPEC, sample)
    )


def test_the_code_behind_providers_scenarios_and_runners_keys_the_cache() -> None:
    from lab.runners.e2e import E2eRunner
    from lab.store import CODE, PROJECT, code_version

    shared, runners = (PROJECT / folder for folder in CODE)
    assert (shared / "scenarios" / "clinic_booking.py").is_file()
    assert (shared / "providers" / "local_whisper" / "model.py").is_file()
    assert (runners / "stt_stream.py").is_file()
    # A whole call also runs the server's code: it keys an end-to-end observation too.
    assert (PROJECT / E2eRunner.code[0] / "call" / "session.py").is_file()
    assert code_version(E2eRunner.code) != code_version()
