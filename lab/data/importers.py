"""Importers: foreign manifests and VoxCore's own calls as lab datasets.

- Speech clip manifests (``../shared/speech/manifest.jsonl``: ``audio``, ``transcript``,
  ``sample_rate``, ``licence``, ``source_*``) are read in place, one utterance per row.
- VoxCore call results (``results.jsonl`` or one ``CallResult`` JSON) with their stereo
  recordings become call rows, so production calls become lab data. Their texts are what
  the live STT heard and their tool calls what the live bot did: marked ``asr``, a silver
  reference to review before it is trusted as ground truth.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from lab.data.manifest import ExpectedToolCall, ManifestRow, Turn
from shared.audio import read_wav
from shared.results import CallResult, read_results

CALLS_LICENCE = "production call recording: use only as the callers' consent allows"


def _first_row(path: Path) -> dict[str, Any] | None:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    return None
                return row if isinstance(row, dict) else None
    return None


def is_speech_manifest(path: Path) -> bool:
    """A clip manifest (a ``transcript`` per file) rather than this project's format."""
    row = _first_row(path)
    return row is not None and "transcript" in row and "turns" not in row


def speech_row(clip: dict[str, Any], audio: str) -> ManifestRow:
    source = Path(clip["audio"]).parts[0] if len(Path(clip["audio"]).parts) > 1 else "speech"
    said = str(clip.get("transcript_source", ""))
    kept = ("source_repo", "source_path", "source_commit", "speaker", "transcript_source")
    origin = {key: clip[key] for key in kept if key in clip}
    return ManifestRow(
        id=str(Path(clip["audio"]).with_suffix("")),
        audio=audio,
        sample_rate=int(clip["sample_rate"]),
        channels="caller",
        duration_s=float(clip["duration_s"]),
        language=str(clip.get("language", "en")),
        licence=str(clip["licence"]),
        source=source,
        origin=origin,
        turns=[
            Turn(
                role="caller",
                text=str(clip["transcript"]),
                reference="script" if "script" in said else "human",
            )
        ],
    )


def speech_rows(manifest: Path, relative_to: Path | None = None) -> list[ManifestRow]:
    """Rows for every clip, audio paths relative to ``relative_to`` (default: in place)."""
    here = manifest.parent
    rows = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.strip():
            clip = json.loads(line)
            audio = here / clip["audio"]
            path = os.path.relpath(audio, relative_to) if relative_to else clip["audio"]
            rows.append(speech_row(clip, str(path)))
    return rows


def _results(path: Path) -> list[CallResult]:
    if path.suffix == ".jsonl":
        return [CallResult.model_validate(payload) for payload in read_results(path)]
    return [CallResult.model_validate_json(path.read_text(encoding="utf-8"))]


def _recording(result: CallResult, recordings: Path | None) -> Path | None:
    candidates = []
    if result.recording:
        candidates.append(Path(result.recording))
        if recordings is not None:
            candidates.append(recordings / result.recording)
    if recordings is not None:
        candidates += sorted(recordings.rglob(f"{result.call_id}.wav"))
    return next((path for path in candidates if path.is_file()), None)


def _owed(result: CallResult) -> dict[int, list[ExpectedToolCall]]:
    """Each tool call under the last caller turn before it (the turn it answered)."""
    caller = [(i, t.at) for i, t in enumerate(result.transcript) if t.role == "caller"]
    owed: dict[int, list[ExpectedToolCall]] = {}
    for call in result.tool_calls:
        before = [i for i, at in caller if at <= call.at]
        if before:
            owed.setdefault(before[-1], []).append(
                ExpectedToolCall(name=call.name, arguments=call.arguments)
            )
    return owed


def call_row(result: CallResult, audio: str, wav: Path, scenario: str | None) -> ManifestRow:
    """A call as a row. Transcript times mark when a text was final, not when it was said,
    so turns carry no spans: the STT runner scores the whole caller channel at once."""
    pcm = read_wav(wav, mono=False)
    owed = _owed(result)
    turns = [
        Turn(role=t.role, text=t.text, reference="asr", tool_calls=owed.get(i, []))
        for i, t in enumerate(result.transcript)
    ]
    return ManifestRow(
        id=result.call_id,
        audio=audio,
        sample_rate=pcm.sample_rate,
        channels="caller+bot" if pcm.channels == 2 else "caller",
        duration_s=round(pcm.duration_s, 3),
        licence=CALLS_LICENCE,
        source=f"voxcore:{result.bot_id or 'unknown'}",
        origin={"call_id": result.call_id, "bot_id": result.bot_id, "transport": result.transport},
        scenario=scenario,
        today=result.started_at.date(),
        turns=turns or [Turn(role="caller", text="", reference="asr")],
    )


def scenario_of(bot_id: str | None, bots_dir: Path) -> str | None:
    """The scenario a bot runs, from its YAML in ``bots_dir`` (None when not found)."""
    from shared.config.source import DirectoryBotSource

    bots = {bot.id: bot for bot in DirectoryBotSource(bots_dir).list()}
    bot = bots.get(bot_id or "")
    return bot.scenario if bot else None


def import_calls(
    results: Path,
    out: Path,
    *,
    recordings: Path | None = None,
    bots_dir: Path | None = None,
    copy: bool = True,
) -> tuple[list[ManifestRow], list[str]]:
    """Rows for every call with a recording found (copied under ``out/audio`` unless
    ``copy`` is False), and a line for each call skipped. A call's scenario (what the LLM
    replay needs) comes from its bot's YAML in ``bots_dir``."""
    rows, skipped = [], []
    for result in _results(results):
        wav = _recording(result, recordings)
        if wav is None:
            skipped.append(f"{result.call_id}: no recording found ({result.recording})")
            continue
        target = out / "audio" / f"{result.call_id}.wav"
        if copy:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(wav, target)
        audio = target.relative_to(out) if copy else Path(os.path.relpath(wav, out))
        scenario = scenario_of(result.bot_id, bots_dir) if bots_dir else None
        rows.append(call_row(result, str(audio), wav, scenario))
    return rows, skipped
