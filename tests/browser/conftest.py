from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.local_server import RunningServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture
def screenshots() -> Path | None:
    """Where to refresh the docs' screenshots (VOXCORE_SCREENSHOTS=1), else nowhere."""
    if not os.environ.get("VOXCORE_SCREENSHOTS"):
        return None
    return Path(__file__).resolve().parents[2] / "docs" / "images"
