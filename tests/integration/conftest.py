from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.local_server import RunningServer, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture
def demo_audio() -> Path:
    return Path(__file__).resolve().parents[2] / "datasets" / "demo"
