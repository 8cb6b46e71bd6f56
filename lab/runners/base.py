"""The runner API: how one kind of provider is measured on a dataset.

A runner splits a dataset into samples, opens workers that observe samples through a
provider built by ``shared.providers.registry`` (the slow, costly part: cached by the
orchestrator under a key of everything that can change it), and scores each observation
against the sample's reference (cheap: redone on every run, so a new normalizer or a
corrected expectation never calls the provider again). A TTS or end-to-end runner is one
more subclass registered in :mod:`lab.registry`; see ``docs/lab.md``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from lab.data.manifest import Dataset, ManifestRow
from shared.providers.spec import ProviderKind, ProviderSpec
from shared.results import ProviderUsage


class Stack(BaseModel):
    """What an end-to-end run measures: a whole call's providers (``providers`` empty: each
    bot's own, as configured)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["e2e"] = "e2e"
    providers: tuple[ProviderSpec, ...] = ()

    @property
    def name(self) -> str:
        return "+".join(p.label.partition(":")[2] for p in self.providers) or "bots"

    @property
    def model(self) -> None:
        return None

    @property
    def label(self) -> str:
        return f"e2e:{self.name}"


Subject = ProviderSpec | Stack
"""What a runner measures: one provider, or a whole call's."""
SubjectT = TypeVar("SubjectT", ProviderSpec, Stack)

Observation = dict[str, Any]
"""What the provider did for one sample, JSON-able (hypothesis, timings, tool calls, usage)."""
Scores = dict[str, Any]
"""Per-sample values the metrics aggregate, JSON-able."""


@dataclass(frozen=True)
class Sample:
    """One unit of work: a row, or one turn of it (``turn`` is its index in ``row.turns``).

    ``inputs`` is everything about the data that the provider sees: it keys the cache (a
    reference transcript is not among them: it only changes scores).
    """

    id: str
    row: ManifestRow
    audio_s: float
    inputs: dict[str, Any]
    turn: int | None = None
    span: tuple[float, float] | None = None  # seconds into the row's audio; None: all of it


class Worker(Protocol):
    async def observe(self, sample: Sample) -> Observation: ...


@dataclass(frozen=True)
class RunnerSettings:
    """Settings every runner has; subclasses add theirs. All of them key the cache except
    those named in ``UNKEYED`` (how many workers run does not change an observation)."""

    UNKEYED: ClassVar[frozenset[str]] = frozenset({"concurrency"})

    concurrency: int = 1

    def keyed(self) -> dict[str, Any]:
        """The settings that key the cache, as JSON values."""
        return {
            key: value.model_dump(mode="json") if isinstance(value, BaseModel) else value
            for key, value in asdict(self).items()
            if key not in self.UNKEYED
        }


class Runner(ABC, Generic[SubjectT]):
    """Measures providers of one kind. ``metrics`` names the registered metrics its scores
    feed (:mod:`lab.metrics`), in the order a report shows them; ``code`` names folders,
    beyond ``shared/`` and ``lab/runners/``, whose code its observations depend on."""

    name: ClassVar[str]
    kind: ClassVar[ProviderKind | Literal["e2e"]]
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[str, ...]]
    code: ClassVar[tuple[str, ...]] = ()
    settings_type: ClassVar[type[RunnerSettings]] = RunnerSettings

    settings: RunnerSettings  # a subclass narrows it to its ``settings_type``

    def __init__(self, settings: RunnerSettings | None = None) -> None:
        if settings is not None and not isinstance(settings, self.settings_type):
            raise TypeError(f"{self.name} takes {self.settings_type.__name__}, not {settings!r}")
        self.settings = settings or self.settings_type()

    @abstractmethod
    def samples(self, dataset: Dataset) -> list[Sample]: ...

    @abstractmethod
    def worker(self, dataset: Dataset, spec: SubjectT) -> AbstractAsyncContextManager[Worker]:
        """A worker holding whatever a sample needs (a running pipeline): one per slot of
        concurrency, each observing samples one at a time."""

    @abstractmethod
    def score(self, sample: Sample, observation: Observation) -> Scores: ...

    def usage(
        self, sample: Sample, observation: Observation, spec: SubjectT
    ) -> list[ProviderUsage]:
        """What the providers would bill for the sample, in their units (priced by the table)."""
        return []

    def normalizer(self) -> str | None:
        """The text normalizer version the scores depend on, if any."""
        return None


@dataclass
class Progress:
    """Counts kept while a run goes, for the report's footer."""

    cached: int = 0
    computed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
