"""One local Deepgram for the module's tests, and the real speech they stream to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from shared.audio import load_mono
from shared.providers.local_whisper.model import transcribe
from tests.fakes.server import serving
from tests.fakes.vendors.deepgram import FakeDeepgram
from tests.shared.providers.deepgram.stream import CLIP, KEY, RATE


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeDeepgram, str]]:
    fake = FakeDeepgram(KEY)
    transcribe(np.zeros(RATE, np.int16), RATE)  # load Whisper once, before a test times it
    with serving(fake.app) as url:
        yield fake, url


@pytest.fixture
def deepgram(served: tuple[FakeDeepgram, str]) -> tuple[FakeDeepgram, str]:
    """The fake (its knobs reset, its sessions cleared) and its base URL."""
    fake, url = served
    fake.sessions.clear()
    fake.refuse_status, fake.drop_after_s, fake.drop_mid_utterance = None, None, False
    return fake, url


@pytest.fixture(scope="module")
def speech(speech_dir: Path) -> np.ndarray:
    return load_mono(speech_dir / CLIP, RATE)
