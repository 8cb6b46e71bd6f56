"""What a notebook runs: a dataset, the providers to compare, and where results and plots go.

Notebooks stay thin (load an experiment, run it, plot); everything they need is here, so the
same notebook compares the offline providers on any machine and adds each cloud provider whose
key is configured (``VOXCORE_PROVIDER_KEYS`` or the vendor's usual variable). Paths resolve
against the project, so a notebook runs the same from ``notebooks/`` in Jupyter as headless
from the project root (``voxcore lab notebooks``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lab.cli import log_level, provider_spec
from lab.data.manifest import Dataset, load_dataset
from lab.registry import runner_class
from lab.replay import ProviderRun, replay
from lab.runners.base import RunnerSettings, Stack, Subject
from lab.store import DEFAULT_ROOT, ResultStore
from shared.providers.credentials import Credentials
from shared.providers.spec import MissingKeyError, ProviderSpec
from shared.settings import get_settings

PROJECT = Path(__file__).resolve().parent.parent
SYNTHETIC = PROJECT / "datasets" / "synthetic_calls"

LOCAL = {"stt": ["local-whisper"], "llm": ["local-intent"], "tts": ["local-piper"]}
# Compared as soon as a key is configured (each model as the bots name it).
CLOUD = {
    "stt": ["deepgram/nova-3", "deepgram-flux", "soniox", "sarvam"],
    "llm": ["openai/gpt-4o-mini", "gemini/gemini-2.5-flash"],
    "tts": ["elevenlabs", "sarvam"],
}


def speech_dir() -> Path:
    """The team's real speech clips (``../shared/speech`` beside the checkout)."""
    return Path(os.environ.get("VOXCORE_SPEECH_DIR", PROJECT.parent / "shared" / "speech"))


def results_root() -> Path:
    return PROJECT / os.environ.get("VOXCORE_LAB_RESULTS", str(DEFAULT_ROOT))


def plots_dir(notebook: str) -> Path:
    """Where a notebook writes its figures (``VOXCORE_LAB_PLOTS`` when run headless)."""
    root = os.environ.get("VOXCORE_LAB_PLOTS") or str(PROJECT / "var" / "lab" / "plots" / notebook)
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _keyed(spec: ProviderSpec, credentials: Credentials) -> bool:
    try:
        credentials.access("default", spec).key(spec)
    except MissingKeyError:
        return False
    return True


def providers(kind: str) -> list[Subject]:
    """The offline provider of ``kind`` and every cloud one with a key; ``VOXCORE_LAB_<KIND>``
    (a comma list, e.g. ``stt:local-whisper,stt:deepgram/nova-3``) names them instead."""
    named = os.environ.get(f"VOXCORE_LAB_{kind.upper()}")
    if named:
        return [provider_spec(text) for text in named.split(",")]
    credentials = Credentials.from_settings(get_settings())
    found: list[Subject] = [provider_spec(f"{kind}:{name}") for name in LOCAL[kind]]
    for name in CLOUD[kind]:
        spec = provider_spec(f"{kind}:{name}")
        if isinstance(spec, ProviderSpec) and _keyed(spec, credentials):
            found.append(spec)
    return found


def e2e_calls(default: int = 6) -> int:
    """How many calls the end-to-end notebook places (``VOXCORE_LAB_E2E_CALLS``): each takes
    about half a minute of real time."""
    return int(os.environ.get("VOXCORE_LAB_E2E_CALLS", default))


def stacks() -> list[Subject]:
    """Whole calls: the offline stack, and the first keyed cloud provider of each kind."""
    local = Stack(providers=tuple(ProviderSpec(kind=k, name=v[0]) for k, v in LOCAL.items()))
    cloud = [next((p for p in providers(k) if p.name not in LOCAL[k]), None) for k in LOCAL]
    found: list[Subject] = [local]
    if all(isinstance(p, ProviderSpec) for p in cloud):
        found.append(Stack(providers=tuple(p for p in cloud if isinstance(p, ProviderSpec))))
    return found


@dataclass
class Experiment:
    """A dataset through providers of one kind (or whole calls), cached in the result store."""

    dataset: Path
    subjects: list[Subject]
    settings: dict[str, Any] = field(default_factory=dict)  # the runner's settings fields
    source: str | None = None  # only rows from this source ("synthetic-clean")
    limit: int | None = None  # only the first rows (a real-time runner in CI)

    def load(self) -> Dataset:
        dataset = load_dataset(self.dataset)
        rows = [r for r in dataset.rows if self.source in (None, r.source)]
        return replace(dataset, rows=rows[: self.limit])

    async def run(self, progress: bool | None = None) -> list[ProviderRun]:
        """Each subject through the dataset; what the result store holds is not redone.
        Progress bars show unless ``progress`` is False or ``VOXCORE_LAB_PROGRESS=0`` (a headless
        run, whose executed notebook should not keep hundreds of bar updates)."""
        if progress is None:
            progress = os.environ.get("VOXCORE_LAB_PROGRESS", "1") != "0"
        log_level(os.environ.get("VOXCORE_LAB_LOG_LEVEL", "warning"))
        dataset = self.load()
        store = ResultStore(results_root())
        runs = []
        for subject in self.subjects:
            runner_type = runner_class(subject.kind)
            settings: RunnerSettings = runner_type.settings_type(**self.settings)
            runner = runner_type(settings)
            runs.append(await replay(dataset, subject, runner, store, progress=progress))
        return runs
