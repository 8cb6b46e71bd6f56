"""``voxcore lab validate``: every problem of every row, not just the first.

A row is checked as a file (JSON, then the schema, all errors), against its audio (found,
16-bit PCM, the declared rate, channel count and duration) and against its scenario (known,
and the intents, tools and arguments it expects exist there), so a dataset that validates
can be replayed without surprises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from lab.data import importers
from lab.data.manifest import ManifestRow, manifest_path
from shared import scenarios
from shared.audio import read_wav
from shared.scenarios.base import END_CALL, Scenario

DURATION_TOLERANCE_S = 0.05
CHANNELS = {"caller": 1, "caller+bot": 2}


@dataclass(frozen=True)
class Problem:
    line: int
    row: str | None
    where: str
    message: str

    def __str__(self) -> str:
        row = f" ({self.row})" if self.row else ""
        where = f"{self.where}: " if self.where else ""
        return f"line {self.line}{row}: {where}{self.message}"


def _schema(data: Any) -> tuple[ManifestRow | None, list[tuple[str, str]]]:
    try:
        return ManifestRow.model_validate(data), []
    except ValidationError as error:
        return None, [(".".join(map(str, e["loc"])), e["msg"]) for e in error.errors()]


def _audio(row: ManifestRow, path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return [("audio", f"no file at {path}")]
    try:
        pcm = read_wav(path, mono=False)
    except Exception as error:  # a broken file is one problem among the others
        return [("audio", f"unreadable: {error}")]
    problems = []
    if pcm.sample_rate != row.sample_rate:
        problems.append(("sample_rate", f"{row.sample_rate}, but the file is {pcm.sample_rate}"))
    if pcm.channels != CHANNELS[row.channels]:
        problems.append(("channels", f"{row.channels}, but the file has {pcm.channels}"))
    if abs(pcm.duration_s - row.duration_s) > DURATION_TOLERANCE_S:
        problems.append(("duration_s", f"{row.duration_s}, but the file lasts {pcm.duration_s}"))
    for i, turn in enumerate(row.turns):
        if turn.end_s is not None and turn.end_s > pcm.duration_s + DURATION_TOLERANCE_S:
            problems.append((f"turns.{i}.end_s", f"{turn.end_s} is past the audio's end"))
    return problems


def _timeline(row: ManifestRow) -> list[tuple[str, str]]:
    problems = []
    last: dict[str, float] = {}
    for i, turn in enumerate(row.turns):
        if turn.role == "caller" and not turn.text.strip():
            problems.append((f"turns.{i}.text", "empty: a caller turn needs its reference"))
        if turn.start_s is None or turn.end_s is None:
            continue
        if turn.start_s < last.get(turn.role, 0.0):
            problems.append((f"turns.{i}.start_s", f"overlaps or precedes the {turn.role}'s last"))
        last[turn.role] = turn.end_s
    return problems


def _tool(
    scenario: Scenario, where: str, name: str, arguments: dict[str, Any]
) -> list[tuple[str, str]]:
    tools = {tool.name: tool for tool in scenario.tools}
    if name == END_CALL:
        return []
    if name not in tools:
        known = ", ".join([*tools, END_CALL])
        return [(f"{where}.name", f"unknown tool {name!r} (scenario {scenario.name}: {known})")]
    fields = tools[name].arguments_model.model_fields
    problems = []
    for key, value in arguments.items():
        if key not in fields:
            problems.append((f"{where}.arguments.{key}", f"{name} takes no argument {key!r}"))
            continue
        try:
            TypeAdapter(fields[key].annotation or object).validate_python(value)
        except ValidationError as error:
            problems.append((f"{where}.arguments.{key}", error.errors()[0]["msg"]))
    return problems


def _expectations(row: ManifestRow) -> list[tuple[str, str]]:
    expects = [(i, t) for i, t in enumerate(row.turns) if t.intent or t.tool_calls]
    if row.scenario is None:
        return [("scenario", "intents and tool calls need a scenario")] if expects else []
    if row.scenario not in scenarios.names():
        return [("scenario", f"unknown {row.scenario!r} ({', '.join(scenarios.names())})")]
    scenario = scenarios.get(row.scenario)
    intents = {i.name for i in scenario.intents} | {
        f"knowledge:{k.name}" for k in scenario.knowledge
    }
    problems: list[tuple[str, str]] = []
    for i, turn in expects:
        if turn.intent and turn.intent not in intents:
            problems.append((f"turns.{i}.intent", f"{turn.intent!r} is not in {scenario.name}"))
        for j, call in enumerate(turn.tool_calls):
            problems += _tool(scenario, f"turns.{i}.tool_calls.{j}", call.name, call.arguments)
    return problems


def check_row(row: ManifestRow, root: Path) -> list[tuple[str, str]]:
    return _audio(row, (root / row.audio).resolve()) + _timeline(row) + _expectations(row)


def validate(path: Path) -> list[Problem]:
    """Every problem of the dataset at ``path`` (a folder or a manifest)."""
    manifest = manifest_path(path)
    if not manifest.is_file():
        return [Problem(0, None, "", f"no manifest at {manifest}")]
    foreign = importers.is_speech_manifest(manifest)
    problems, seen = [], set()
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(number, None, "", f"not JSON: {error}"))
            continue
        label = data.get("id") if isinstance(data, dict) else None
        try:
            row, found = (
                (importers.speech_row(data, data["audio"]), []) if foreign else _schema(data)
            )
        except (KeyError, TypeError, ValueError) as error:
            row, found = None, [("", f"not a speech clip row: {error!r}")]
        if row is not None:
            label = row.id
            found = ([("id", "duplicate")] if row.id in seen else []) + check_row(
                row, manifest.parent
            )
            seen.add(row.id)
        problems += [Problem(number, label, where, message) for where, message in found]
    return problems
