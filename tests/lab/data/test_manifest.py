"""Manifest rows: what a row must say, written and read back alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lab.data.manifest import ManifestRow, Turn, load_dataset, parse_rows, write_rows

ROW = {
    "id": "call-1",
    "audio": "audio/call-1.wav",
    "sample_rate": 8000,
    "channels": "caller+bot",
    "duration_s": 12.5,
    "licence": "CC0-1.0",
    "source": "synthetic",
    "scenario": "support_desk",
    "today": "2026-11-19",
    "turns": [
        {"role": "bot", "text": "Hello.", "start_s": 0.5, "end_s": 1.2},
        {
            "role": "caller",
            "text": "Where is order 4512?",
            "start_s": 2.0,
            "end_s": 3.4,
            "intent": "order_status",
            "tool_calls": [{"name": "get_order_status", "arguments": {"order_number": "4512"}}],
        },
    ],
}


def test_a_row_round_trips_through_its_manifest(tmp_path: Path) -> None:
    row = ManifestRow.model_validate(ROW)
    path = write_rows(tmp_path / "manifest.jsonl", [row])
    assert '"schema_version": 1' in path.read_text()
    assert parse_rows(path) == [row]
    dataset = load_dataset(tmp_path)
    assert dataset.name == tmp_path.name
    assert dataset.audio_path(row) == (tmp_path / "audio/call-1.wav").resolve()
    assert [t.text for t in row.caller_turns] == ["Where is order 4512?"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels": "stereo"}, "channels"),
        ({"id": "has space"}, "id"),
        ({"licence": ""}, "licence"),
        ({"turns": []}, "turns"),
        ({"speaker": "x"}, "speaker"),
    ],
)
def test_a_row_says_what_it_must(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ManifestRow.model_validate({**ROW, **change})


def test_turn_times_go_together_and_forward_and_bots_owe_nothing() -> None:
    with pytest.raises(ValidationError, match="give both or neither"):
        Turn(role="caller", text="hi", start_s=1.0)
    with pytest.raises(ValidationError, match="not after"):
        Turn(role="caller", text="hi", start_s=2.0, end_s=1.0)
    with pytest.raises(ValidationError, match="belong to caller turns"):
        Turn(role="bot", text="hi", intent="order_status")


def test_the_shared_speech_clips_load_in_place(speech_dir: Path) -> None:
    dataset = load_dataset(speech_dir)
    assert len(dataset.rows) == 44
    assert {r.source for r in dataset.rows} == {"asterisk-core-en", "pocketsphinx"}
    row = next(r for r in dataset.rows if r.id == "pocketsphinx/goforward")
    assert (row.sample_rate, row.channels, row.turns[0].text) == (
        16000,
        "caller",
        "go forward ten meters",
    )
    assert row.origin["source_repo"] == "cmusphinx/pocketsphinx"
    assert dataset.audio_path(row) == speech_dir / "pocketsphinx/goforward.wav"
    assert {r.turns[0].reference for r in dataset.rows if r.source == "asterisk-core-en"} == {
        "script"
    }
