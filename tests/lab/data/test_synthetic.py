"""The synthetic call dataset: valid, deterministic, and the committed manifest is its script's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.data.manifest import parse_rows
from lab.data.synthetic import SCRIPT, Script, generate
from lab.data.validate import validate
from shared.audio import read_wav

COMMITTED = Path(__file__).resolve().parents[3] / "datasets" / "synthetic_calls"


def test_a_generated_call_validates_with_turns_where_the_speech_is(tiny_calls: Path) -> None:
    assert validate(tiny_calls) == []
    rows = parse_rows(tiny_calls / "manifest.jsonl")
    assert [r.id for r in rows] == ["order@clean", "order@snr10"]
    row = rows[0]
    assert (row.channels, row.sample_rate, row.conditions["codec"]) == (
        "caller+bot",
        8000,
        "g711-mulaw",
    )
    assert [t.role for t in row.turns] == ["bot", "caller", "bot", "caller", "bot"]
    pcm = read_wav(tiny_calls / row.audio, mono=False).samples
    for turn in row.turns:
        assert turn.start_s is not None and turn.end_s is not None
        span = pcm[int(turn.start_s * 8000) : int(turn.end_s * 8000)]
        speaker, other = (0, 1) if turn.role == "caller" else (1, 0)
        assert np.abs(span[:, speaker]).max() > 1000  # each speaker on their own channel,
        assert np.abs(span[:, other]).max() <= 8  # the other one silent meanwhile
    caller_turn = row.turns[1]
    assert caller_turn.start_s is not None
    # Clean: nothing on the caller's line between turns; at 10 dB SNR, the line hisses.
    quiet = slice(0, int(caller_turn.start_s * 8000) - 800)
    noisy = read_wav(tiny_calls / rows[1].audio, mono=False).samples
    assert np.abs(pcm[quiet, 0]).max() <= 8 < np.abs(noisy[quiet, 0]).max()


def test_regenerating_gives_the_same_audio(tiny_calls: Path, tmp_path: Path) -> None:
    (tmp_path / SCRIPT).write_bytes((tiny_calls / SCRIPT).read_bytes())
    again = generate(tmp_path)
    assert [r.model_dump() for r in again] == [
        r.model_dump() for r in parse_rows(tiny_calls / "manifest.jsonl")
    ]
    for row in again:
        assert (tmp_path / row.audio).read_bytes() == (tiny_calls / row.audio).read_bytes()


def test_the_committed_manifest_is_its_script() -> None:
    script = Script.load(COMMITTED / SCRIPT)
    rows = parse_rows(COMMITTED / "manifest.jsonl")
    assert len(rows) == len(script.calls) * len(script.snr_db)
    for row in rows:
        call = next(c for c in script.calls if row.id.startswith(f"{c.id}@"))
        assert row.scenario == call.scenario and row.today == script.today
        assert [t.text for t in row.caller_turns] == [t.caller for t in call.turns]
        assert [t.tool_calls for t in row.caller_turns] == [t.tools for t in call.turns]
