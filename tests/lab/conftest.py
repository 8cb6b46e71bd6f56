"""Lab fixtures: a tiny synthetic call dataset, generated once per session (Piper, ~2 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.data.manifest import Dataset, write_rows
from lab.data.synthetic import SCRIPT, generate

TINY_SCRIPT = """
version: 1
today: 2026-11-19
licence: CC0-1.0
snr_db: [null, 10]
calls:
  - id: order
    scenario: support_desk
    greeting: Hello, Acme Voice.
    turns:
      - caller: Where is my order?
        intent: order_status
        bot: What's your order number?
      - caller: It's four five one two.
        tools: [{name: get_order_status, arguments: {order_number: "4512"}}]
        bot: It shipped on November 2.
"""


@pytest.fixture(scope="session")
def tiny_calls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder: ``calls.yaml``, ``manifest.jsonl`` and ``audio/`` (one call, two SNRs)."""
    folder = tmp_path_factory.mktemp("tiny_calls")
    (folder / SCRIPT).write_text(TINY_SCRIPT, encoding="utf-8")
    write_rows(folder / "manifest.jsonl", generate(folder))
    return folder


def subset(dataset: Dataset, ids: list[str]) -> Dataset:
    return Dataset(dataset.name, dataset.root, [r for r in dataset.rows if r.id in ids])
