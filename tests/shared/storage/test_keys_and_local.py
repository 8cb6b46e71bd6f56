"""Recording keys and the local store: layout, atomic writes, no way out of the directory."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.storage import (
    LocalRecordingStore,
    RecordingStore,
    StorageRejected,
    StorageUnavailable,
    recording_key,
    store_from_settings,
)

STARTED = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)


def test_the_key_is_tenant_bot_date_call() -> None:
    assert (
        recording_key("acme", "sales-bot", STARTED, "CA123")
        == "acme/sales-bot/2026/03/09/CA123.wav"
    )


def test_the_date_is_the_utc_date() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    started = datetime(2026, 3, 10, 4, 0, tzinfo=ist)  # 2026-03-09 22:30 UTC
    assert recording_key("t", "b", started, "c") == "t/b/2026/03/09/c.wav"


@pytest.mark.parametrize(
    ("call_id", "expected"),
    [
        ("../../etc/passwd", "_etc_passwd"),
        ("a/b\\c", "a_b_c"),
        (".hidden", "hidden"),
        ("x y", "x_y"),
    ],
)
def test_ids_cannot_pick_a_directory(call_id: str, expected: str) -> None:
    key = recording_key("t", "b", STARTED, call_id)
    assert key == f"t/b/2026/03/09/{expected}.wav"
    assert ".." not in key.split("/")


@pytest.mark.parametrize("bad", ["", "..", "/", "../.."])
def test_ids_with_nothing_usable_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="path segment"):
        recording_key(bad, "b", STARTED, "c")


async def test_local_store_writes_the_layout_and_metadata(tmp_path: Path) -> None:
    store = LocalRecordingStore(tmp_path)
    assert isinstance(store, RecordingStore)
    key = recording_key("acme", "bot", STARTED, "call-1")

    location = await store.put(key, b"RIFF-wav", {"call-id": "call-1", "tenant": "acme"})

    path = tmp_path / "acme/bot/2026/03/09/call-1.wav"
    assert location == str(path.resolve())
    assert path.read_bytes() == b"RIFF-wav"
    sidecar = path.with_name("call-1.wav.json")
    assert json.loads(sidecar.read_text()) == {"call-id": "call-1", "tenant": "acme"}
    assert sorted(p.name for p in path.parent.iterdir()) == ["call-1.wav", "call-1.wav.json"]


async def test_local_store_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalRecordingStore(tmp_path)
    await store.put("t/b/old.wav", b"first", {})
    before = (tmp_path / "t/b/old.wav").stat().st_ino

    await store.put("t/b/old.wav", b"second", {})

    target = tmp_path / "t/b/old.wav"
    assert target.read_bytes() == b"second"
    assert target.stat().st_ino != before  # a new file renamed over the old, not rewritten
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".part")]


async def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(_fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StorageUnavailable, match="Input/output error"):
        await LocalRecordingStore(tmp_path).put("t/b/c.wav", b"data", {})
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("key", ["../escape.wav", "/etc/passwd", "t/../../x.wav", "a\\b.wav", ""])
async def test_local_store_refuses_path_traversal(tmp_path: Path, key: str) -> None:
    store = LocalRecordingStore(tmp_path / "recordings")
    with pytest.raises(StorageRejected, match="key"):
        await store.put(key, b"data", {})
    assert not any(tmp_path.rglob("*.wav"))


async def test_local_store_refuses_a_symlink_out_of_the_directory(tmp_path: Path) -> None:
    root, outside = tmp_path / "recordings", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "t").symlink_to(outside)
    with pytest.raises(StorageRejected, match="leaves"):
        await LocalRecordingStore(root).put("t/c.wav", b"data", {})


async def test_an_unwritable_directory_is_rejected_not_retried(tmp_path: Path) -> None:
    (tmp_path / "t").write_text("a file where a directory should be")
    with pytest.raises(StorageRejected, match="cannot write"):
        await LocalRecordingStore(tmp_path).put("t/b/c.wav", b"data", {})


def test_the_factory_picks_s3_only_when_a_bucket_is_named(tmp_path: Path) -> None:
    assert isinstance(store_from_settings(directory=tmp_path), LocalRecordingStore)
    s3 = store_from_settings(directory=tmp_path, bucket="calls", endpoint_url="http://127.0.0.1:9")
    assert type(s3).__name__ == "S3RecordingStore"
