"""The bundled Whisper: live decodes one at a time on every core; batches split the cores."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.audio import read_wav
from shared.providers.local_whisper import model

CLIPS = ["asterisk-core-en/vm-opts.wav", "pocketsphinx/goforward.wav", "pocketsphinx/cards_001.wav"]


@pytest.fixture
def live_plan_after() -> Iterator[None]:
    yield
    model.share_cores(1)


def test_shared_cores_decode_in_parallel_to_the_same_text(
    speech_dir: Path, live_plan_after: None
) -> None:
    clips = [read_wav(speech_dir / name) for name in CLIPS]
    live = [model.transcribe(clip.samples, clip.sample_rate) for clip in clips]
    assert model.DecodePlan().threads == model.CORES  # live: one decode on every core
    model.share_cores(2)
    assert model.DecodePlan(2).threads == 1
    with ThreadPoolExecutor(2) as pool:
        batch = list(pool.map(lambda c: model.transcribe(c.samples, c.sample_rate), clips))
    assert batch == live and all(live)
    assert model.planned_model() is model.whisper_model(1, 2)
    model.share_cores(1)
    assert model.planned_model() is model.whisper_model(model.CORES, 1)
