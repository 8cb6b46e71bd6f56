"""``voxcore lab validate`` reports every problem of every row, with where it is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lab.data.validate import validate
from shared.audio import write_wav
from tests.lab.data.test_manifest import ROW


def write(folder: Path, rows: list[object]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_a_valid_row_has_no_problems(tmp_path: Path) -> None:
    write_wav(tmp_path / "audio/call-1.wav", np.zeros((100_000, 2), np.int16), 8000)
    assert validate(write(tmp_path, [ROW])) == []


def test_every_problem_of_every_row_is_reported(tmp_path: Path) -> None:
    write_wav(tmp_path / "audio/call-1.wav", np.zeros(80_000, np.int16), 16000)
    caller = dict(ROW["turns"][1])  # type: ignore[index]
    wrong = {
        **ROW,
        "turns": [
            ROW["turns"][0],  # type: ignore[index]
            {
                **caller,
                "intent": "order_track",
                "tool_calls": [
                    {"name": "get_order", "arguments": {}},
                    {"name": "get_order_status", "arguments": {"order": "4512"}},
                ],
            },
            {"role": "caller", "text": " ", "start_s": 3.0, "end_s": 30.0},
        ],
    }
    problems = [
        str(p)
        for p in validate(
            write(tmp_path, [wrong, "{not json", {**ROW, "duration_s": -1, "source": ""}, wrong])
        )
    ]
    expected = [
        "line 1 (call-1): sample_rate: 8000, but the file is 16000",
        "line 1 (call-1): channels: caller+bot, but the file has 1",
        "line 1 (call-1): duration_s: 12.5, but the file lasts 5.0",
        "line 1 (call-1): turns.2.end_s: 30.0 is past the audio's end",
        "line 1 (call-1): turns.2.text: empty: a caller turn needs its reference",
        "line 1 (call-1): turns.2.start_s: overlaps or precedes the caller's last",
        "line 1 (call-1): turns.1.intent: 'order_track' is not in support_desk",
        "line 1 (call-1): turns.1.tool_calls.0.name: unknown tool 'get_order' "
        "(scenario support_desk: get_order_status, open_ticket, end_call)",
        "line 1 (call-1): turns.1.tool_calls.1.arguments.order: "
        "get_order_status takes no argument 'order'",
        "line 2: not JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        "line 3 (call-1): duration_s: Input should be greater than 0",
        "line 3 (call-1): source: String should have at least 1 character",
        "line 4 (call-1): id: duplicate",
    ]
    assert problems[: len(expected)] == expected
    assert len(problems) == len(expected) + 9  # line 4 repeats line 1's nine


def test_a_missing_manifest_or_audio_is_a_problem(tmp_path: Path) -> None:
    assert [str(p) for p in validate(tmp_path)] == [
        f"line 0: no manifest at {tmp_path / 'manifest.jsonl'}"
    ]
    assert [p.where for p in validate(write(tmp_path, [ROW]))] == ["audio"]


def test_the_shared_speech_clips_validate(speech_dir: Path) -> None:
    assert validate(speech_dir) == []
