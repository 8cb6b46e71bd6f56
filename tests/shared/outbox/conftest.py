from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.outbox import SqliteOutbox
from tests.shared.outbox.endpoint import Endpoint, Server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteOutbox]:
    outbox = SqliteOutbox(tmp_path / "outbox.db")
    yield outbox
    outbox.close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    server = Server(ep).start()
    yield ep
    server.stop()
