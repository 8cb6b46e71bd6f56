"""Per-sample results as JSONL, and the cache they make.

Each line is a :class:`SampleResult`, filed under the dataset, runner, provider and a hash
of the runner's settings. Its ``key`` hashes everything that can change what the provider
does with the sample: runner and version, the provider spec, the settings, the sample's own
inputs (audio bytes, span, turns) and the code that runs it (every source file under
``shared/``, where providers and scenarios live, and the runners). A rerun reuses the
observation of a line whose key still matches and only rescores it, so a new normalizer or a
corrected reference costs no provider call, while a broken scenario is replayed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import shared
from lab.runners.base import Runner, Sample, Subject

DEFAULT_ROOT = Path("var/lab/results")


class SampleResult(BaseModel):
    dataset: str
    sample: str
    row: str
    source: str
    runner: str
    provider: str
    spec: dict[str, Any]
    settings: dict[str, Any]
    normalizer: str | None = None
    price_table: str | None = None
    key: str
    audio_s: float
    observation: dict[str, Any]
    scores: dict[str, Any]
    cost_usd: float | None = None
    error: str | None = None


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


PROJECT = Path(str(shared.__file__)).parent.parent
CODE = ("shared", "lab/runners")


@cache
def code_version(extra: tuple[str, ...] = ()) -> str:
    """A hash of the code an observation depends on: ``shared/``, ``lab/runners/`` and the
    runner's ``extra`` folders (an end-to-end call runs ``functions/`` too)."""
    sha = hashlib.sha256()
    for root in (PROJECT / folder for folder in (*CODE, *extra)):
        for path in sorted(root.rglob("*.py")):
            sha.update(str(path.relative_to(root)).encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def observation_key(runner: Runner[Any], spec: Subject, sample: Sample) -> str:
    return digest(
        {
            "runner": runner.name,
            "version": runner.version,
            "code": code_version(runner.code),
            "spec": spec.model_dump(mode="json"),
            "settings": runner.settings.keyed(),
            "inputs": sample.inputs,
        }
    )


class ResultStore:
    """A folder of results files, one per dataset, runner, provider and settings."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = root

    def path(self, dataset: str, runner: Runner[Any], spec: Subject) -> Path:
        label = spec.label.replace("/", "_").replace(":", "-")
        settings = digest(runner.settings.keyed())[:8]
        return self.root / dataset / f"{runner.name}__{label}__{settings}.jsonl"

    def load(self, path: Path) -> dict[str, SampleResult]:
        """Reusable results by key (failed ones are not: they are tried again)."""
        if not path.exists():
            return {}
        lines = path.read_text(encoding="utf-8").splitlines()
        results = [SampleResult.model_validate_json(line) for line in lines if line]
        return {r.key: r for r in results if r.error is None}

    def save(self, path: Path, results: list[SampleResult]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        spool = path.with_suffix(".tmp")
        spool.write_text("".join(f"{r.model_dump_json()}\n" for r in results), encoding="utf-8")
        spool.replace(path)
