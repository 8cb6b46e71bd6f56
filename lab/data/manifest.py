"""The dataset format: one ``manifest.jsonl`` per dataset, one row per call or utterance.

Rows are validated with pydantic at the edge (a file written by people and by importers);
``docs/lab.md`` and ``datasets/README.md`` describe every field. Audio paths are relative to
the manifest's folder (or absolute), so a dataset can point at audio it does not hold, such
as the team's real speech clips, without copying them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
MANIFEST = "manifest.jsonl"

Channels = Literal["caller", "caller+bot"]
"""``caller``: mono, the caller only. ``caller+bot``: stereo, caller left and bot right (as
VoxCore records calls)."""
ReferenceKind = Literal["human", "script", "asr"]
"""Where a turn's text comes from: a person's transcript, the script the audio was synthesized
from, or a live STT's transcript (``asr``: silver, to be reviewed before it is trusted)."""


class ExpectedToolCall(BaseModel):
    """A tool the bot should call after a caller turn. ``arguments`` lists only the arguments
    that must match (case and spacing aside); others the model passes are not judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["caller", "bot"]
    text: str
    start_s: float | None = Field(None, ge=0)
    end_s: float | None = Field(None, ge=0)
    reference: ReferenceKind = "human"
    intent: str | None = None
    tool_calls: list[ExpectedToolCall] = Field(default_factory=list)

    @model_validator(mode="after")
    def _times(self) -> Turn:
        if (self.start_s is None) != (self.end_s is None):
            raise ValueError("start_s and end_s go together: give both or neither")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s {self.end_s} is not after start_s {self.start_s}")
        if self.role == "bot" and (self.tool_calls or self.intent):
            raise ValueError("intent and tool_calls belong to caller turns (what the bot owes)")
        return self


class ManifestRow(BaseModel):
    """One call or utterance: its audio, how it was recorded, and what should happen in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@#:+/-]*$")
    audio: str = Field(min_length=1)
    sample_rate: int = Field(gt=0)
    channels: Channels = "caller"
    duration_s: float = Field(gt=0)
    language: str = "en"
    licence: str = Field(min_length=1)
    source: str = Field(min_length=1, description="short name results are grouped by")
    origin: dict[str, Any] = Field(default_factory=dict, description="provenance, free-form")
    scenario: str | None = None
    today: date | None = Field(None, description="the call's date: 'Monday' resolves from it")
    conditions: dict[str, Any] = Field(default_factory=dict, description="snr_db, codec, ...")
    turns: list[Turn] = Field(min_length=1)

    @property
    def caller_turns(self) -> list[Turn]:
        return [turn for turn in self.turns if turn.role == "caller"]


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: its name (results are filed under it), folder and rows."""

    name: str
    root: Path
    rows: list[ManifestRow]

    def audio_path(self, row: ManifestRow) -> Path:
        return (self.root / row.audio).resolve()


def manifest_path(path: Path) -> Path:
    """A dataset's manifest: the file named, or ``manifest.jsonl`` in the folder named."""
    return path if path.suffix == ".jsonl" or path.is_file() else path / MANIFEST


def parse_rows(path: Path) -> list[ManifestRow]:
    """Every row of a manifest, or the first error (``validate`` reports them all)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(ManifestRow.model_validate(json.loads(line)))
            except ValueError as error:
                raise ValueError(f"{path}:{number}: {error}") from error
    return rows


def load_dataset(path: Path | str, name: str | None = None, *, limit: int | None = None) -> Dataset:
    """A dataset folder (or manifest) in this format, or a foreign manifest an importer
    reads in place (``../shared/speech``: real speech used where it lies, never copied);
    ``limit`` keeps the first rows (a quick look, or CI's slice of a slow runner)."""
    from lab.data import importers

    manifest = manifest_path(Path(path))
    if not manifest.exists():
        raise FileNotFoundError(f"no {MANIFEST} at {manifest}")
    label = name or manifest.parent.name
    speech = importers.is_speech_manifest(manifest)
    rows = importers.speech_rows(manifest) if speech else parse_rows(manifest)
    return Dataset(label, manifest.parent, rows[:limit])


def write_rows(path: Path, rows: list[ManifestRow]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {"schema_version": SCHEMA_VERSION, **row.model_dump(mode="json", exclude_defaults=True)}
        )
        for row in rows
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
