"""What the notebooks compare: the offline providers, plus each cloud one with a key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.experiment import Experiment, providers, stacks
from lab.runners.base import Stack
from shared.settings import get_settings

CLOUD_KEYS = ["DEEPGRAM_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "ELEVENLABS_API_KEY"]


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in [*CLOUD_KEYS, "SONIOX_API_KEY", "SARVAM_API_KEY", "VOXCORE_PROVIDER_KEYS"]:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def labels(kind: str) -> list[str]:
    return [subject.label for subject in providers(kind)]


def test_offline_only_the_local_providers_are_compared(no_keys: pytest.MonkeyPatch) -> None:
    assert labels("stt") == ["stt:local-whisper"]
    assert labels("llm") == ["llm:local-intent"]
    assert labels("tts") == ["tts:local-piper"]
    assert [s.label for s in stacks()] == ["e2e:local-whisper+local-intent+local-piper"]


def test_a_configured_key_brings_its_provider_in(no_keys: pytest.MonkeyPatch) -> None:
    no_keys.setenv("DEEPGRAM_API_KEY", "dg-test")
    no_keys.setenv("OPENAI_API_KEY", "sk-test")
    no_keys.setenv("ELEVENLABS_API_KEY", "el-test")
    get_settings.cache_clear()
    assert labels("stt") == ["stt:local-whisper", "stt:deepgram/nova-3", "stt:deepgram-flux"]
    assert labels("llm") == ["llm:local-intent", "llm:openai/gpt-4o-mini"]
    cloud = stacks()[1]
    assert isinstance(cloud, Stack)
    assert cloud.label == "e2e:deepgram/nova-3+openai/gpt-4o-mini+elevenlabs"


def test_the_providers_can_be_named(no_keys: pytest.MonkeyPatch) -> None:
    no_keys.setenv("VOXCORE_LAB_STT", "stt:local-whisper,stt:soniox")
    assert labels("stt") == ["stt:local-whisper", "stt:soniox"]


def test_an_experiment_takes_rows_of_one_source_and_a_limit(tiny_calls: Path) -> None:
    both = Experiment(tiny_calls, []).load()
    clean = Experiment(tiny_calls, [], source="synthetic-clean", limit=5).load()
    assert len(both.rows) == 2
    assert [row.source for row in clean.rows] == ["synthetic-clean"]
    assert Experiment(tiny_calls, [], limit=1).load().rows == both.rows[:1]
