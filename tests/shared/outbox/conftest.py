from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.outbox import SqliteOutbox
from shared.outbox.modal import ModalDictOutbox
from tests.shared.outbox.endpoint import Endpoint, Server
from tests.shared.tracker.fake_modal import FakeModalDict

# The backends the outbox contract runs against; "modal-dict" is two in-memory STAND-INs for
# ``modal.Dict`` (tests/shared/tracker/fake_modal.py): no Modal server is reachable here.
BACKENDS = ["sqlite", "modal-dict"]


def open_outbox(backend: str, tmp_path: Path) -> Iterator[Any]:
    if backend == "modal-dict":
        yield ModalDictOutbox(FakeModalDict("outbox"), FakeModalDict("outbox-index"))
        return
    outbox = SqliteOutbox(tmp_path / "outbox.db")
    yield outbox
    outbox.close()


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


@pytest.fixture(params=BACKENDS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """One outbox per backend, for contract tests outside test_store.py."""
    yield from open_outbox(request.param, tmp_path)
