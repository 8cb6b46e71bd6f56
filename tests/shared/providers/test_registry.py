"""The provider registry: lazy, explicit about unknown names, open to fakes."""

from __future__ import annotations

import sys

import pytest

from shared.providers import registry
from shared.providers.spec import ProviderContext, ProviderSpec


def test_unknown_provider_names_the_registered_ones() -> None:
    with pytest.raises(
        registry.UnknownProviderError,
        match="registered: deepgram, deepgram-flux, fake, local-whisper, sarvam, soniox",
    ):
        registry.create(ProviderSpec(kind="stt", name="nope"), ProviderContext(sample_rate=8000))


def test_offline_providers_are_registered() -> None:
    assert "local-whisper" in registry.names("stt")
    assert "local-intent" in registry.names("llm")
    assert "local-piper" in registry.names("tts")


def test_the_scripted_fakes_are_registered_like_any_provider() -> None:
    assert all("fake" in registry.names(kind) for kind in ("stt", "llm", "tts"))


def test_modules_load_only_when_used() -> None:
    registry.register("tts", "lazy-probe", "tests.shared.providers.lazy_probe")
    assert "tests.shared.providers.lazy_probe" not in sys.modules
    service = registry.create(
        ProviderSpec(kind="tts", name="lazy-probe", options={"voice": "x"}),
        ProviderContext(sample_rate=8000),
    )
    assert "tests.shared.providers.lazy_probe" in sys.modules
    assert service.name.startswith("LazyProbe")


def test_local_whisper_refuses_languages_it_cannot_transcribe() -> None:
    with pytest.raises(ValueError, match="language 'hi'"):
        registry.create(
            ProviderSpec(kind="stt", name="local-whisper"),
            ProviderContext(sample_rate=8000, language="hi"),
        )
