"""Shared fixtures: real speech from the team's handbook folder, never copied into the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

SPEECH_DIR = Path(__file__).resolve().parents[2] / "shared" / "speech"


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    if not (SPEECH_DIR / "manifest.jsonl").exists():
        pytest.skip(f"real speech clips not found at {SPEECH_DIR}")
    return SPEECH_DIR
