"""Importers: VoxCore's own calls become lab rows (clip manifests: see test_manifest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from lab.data.importers import CALLS_LICENCE, import_calls
from lab.data.validate import check_row
from shared.audio import stereo, write_wav
from shared.results import CallResult, ToolCallRecord, TranscriptTurn

BOTS = Path(__file__).resolve().parents[3] / "shared" / "config" / "bots"
START = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def call_result(recording: str | None) -> CallResult:
    return CallResult(
        call_id="c0ffee",
        transport="exotel",
        bot_id="support-desk",
        started_at=START,
        ended_at=at(20),
        duration_s=20,
        disconnected_by="bot",
        recording=recording,
        transcript=[
            TranscriptTurn(role="bot", text="Hello, Acme Voice.", at=at(1)),
            TranscriptTurn(role="caller", text="Where is order 4512?", at=at(5)),
            TranscriptTurn(role="bot", text="It shipped.", at=at(7)),
            TranscriptTurn(role="caller", text="Bye.", at=at(12)),
        ],
        tool_calls=[
            ToolCallRecord(
                name="get_order_status", arguments={"order_number": "4512"}, result={}, at=at(5.1)
            ),
            ToolCallRecord(name="end_call", arguments={"reason": "bye"}, result={}, at=at(13)),
        ],
    )


def test_a_recorded_call_becomes_a_row_of_silver_references(tmp_path: Path) -> None:
    wav = write_wav(
        tmp_path / "rec/2026/c0ffee.wav",
        stereo(np.zeros(160_000, np.int16), np.zeros(160_000, np.int16)),
        8000,
    )
    results = tmp_path / "result.json"
    results.write_text(call_result("2026/c0ffee.wav").model_dump_json())
    out = tmp_path / "dataset"

    rows, skipped = import_calls(results, out, recordings=tmp_path / "rec", bots_dir=BOTS)

    assert skipped == []
    [row] = rows
    assert (row.id, row.audio, row.channels, row.sample_rate) == (
        "c0ffee",
        "audio/c0ffee.wav",
        "caller+bot",
        8000,
    )
    assert (out / row.audio).read_bytes() == wav.read_bytes()
    assert (row.scenario, row.today, row.source, row.licence) == (
        "support_desk",
        START.date(),
        "voxcore:support-desk",
        CALLS_LICENCE,
    )
    assert {t.reference for t in row.turns} == {"asr"}
    owed = [[c.name for c in t.tool_calls] for t in row.caller_turns]
    assert owed == [["get_order_status"], ["end_call"]]
    assert check_row(row, out) == []


def test_a_call_without_its_recording_is_skipped_and_said(tmp_path: Path) -> None:
    results = tmp_path / "result.json"
    results.write_text(call_result(None).model_dump_json())
    rows, skipped = import_calls(results, tmp_path / "out", recordings=tmp_path)
    assert rows == [] and skipped == ["c0ffee: no recording found (None)"]
