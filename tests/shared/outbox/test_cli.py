"""``python -m shared.outbox``: list without payloads, replay dead letters, deliver once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.outbox import SqliteOutbox
from shared.outbox.cli import SECRET_ENV, main
from tests.shared.outbox.endpoint import SECRET, Endpoint

ROOT = Path(__file__).resolve().parents[3]


def rows(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_list_and_replay(store: SqliteOutbox, capsys: pytest.CaptureFixture[str]) -> None:
    for key in ("a", "b", "c"):
        store.enqueue("call_result", key, {"secret_ish": "caller data"})
    a, b, _ = store.claim_due(2e9, 3)
    store.mark_dead(a.id, "HTTP 400")
    store.mark_dead(b.id, "HTTP 422")
    db = str(store.path)
    assert main(["--db", db, "list", "--state", "dead"]) == 0
    dead = rows(capsys)
    assert [(r["idempotency_key"], r["last_error"]) for r in dead] == [
        ("a", "HTTP 400"),
        ("b", "HTTP 422"),
    ]
    assert all("payload" not in r for r in dead)
    assert main(["--db", db, "replay", "--id", str(a.id)]) == 0
    assert capsys.readouterr().out.strip() == "replayed 1"
    assert main(["--db", db, "replay", "--all-dead"]) == 0
    assert capsys.readouterr().out.strip() == "replayed 1"
    assert store.counts()["dead"] == 0 and store.counts()["pending"] == 2


def test_deliver_once(
    endpoint: Endpoint, store: SqliteOutbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(25):  # more than one batch
        store.enqueue("call_result", f"k{i}", {"i": i})
    monkeypatch.setenv(SECRET_ENV, SECRET)
    assert main(["--db", str(store.path), "deliver", "--url", endpoint.url, "--once"]) == 0
    assert len(endpoint.stored) == 25 and store.counts()["delivered"] == 25


def test_deliver_needs_the_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    command = [sys.executable, "-m", "shared.outbox", "--db", str(tmp_path / "o.db")]
    proc = subprocess.run(
        [*command, "deliver", "--url", "http://127.0.0.1:9/", "--once"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2 and SECRET_ENV in proc.stdout
