"""Lazy provider registry: ``(kind, name) -> "module:attribute"``.

Modules are imported only when a bot uses them, so SDKs of unused providers are never loaded.
Each provider module exposes ``create(spec, ctx)`` returning a configured Pipecat service and may
expose ``preload(spec)`` to load weights once per process (readiness waits for it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, cast

from pipecat.processors.frame_processor import FrameProcessor

from shared.providers.spec import ProviderContext, ProviderKind, ProviderSpec

_REGISTRY: dict[tuple[ProviderKind, str], str] = {
    ("stt", "local-whisper"): "shared.providers.local_whisper.stt",
    ("tts", "local-piper"): "shared.providers.local_piper.tts",
    ("llm", "local-intent"): "shared.providers.local_intent.llm",
    # Scripted stand-ins for tests and failover drills (shared/providers/fake).
    ("stt", "fake"): "shared.providers.fake.stt",
    ("llm", "fake"): "shared.providers.fake.llm",
    ("tts", "fake"): "shared.providers.fake.tts",
    # Cloud providers: Pipecat's services, configured (one folder per vendor).
    ("stt", "deepgram"): "shared.providers.deepgram.stt",
    ("stt", "deepgram-flux"): "shared.providers.deepgram.flux",
    ("stt", "soniox"): "shared.providers.soniox.stt",
    ("stt", "sarvam"): "shared.providers.sarvam.stt",
    ("llm", "openai"): "shared.providers.openai.llm",
    ("llm", "gemini"): "shared.providers.google.gemini",
    ("llm", "vertex"): "shared.providers.google.vertex",
    ("tts", "elevenlabs"): "shared.providers.elevenlabs.tts",
    ("tts", "sarvam"): "shared.providers.sarvam.tts",
}

# STTs whose own start/end-of-turn events take the caller's turn (they push Pipecat's
# ProposedUserStarted/StoppedSpeakingFrame) instead of VAD + SmartTurn.
TURN_DETECTING_STT = frozenset({"deepgram-flux"})

# Providers that need a key, and the vendor's usual environment variable for it (the key may
# also come per tenant from VOXCORE_PROVIDER_KEYS; see shared/providers/credentials.py).
KEY_ENV: dict[str, str] = {
    "deepgram": "DEEPGRAM_API_KEY",
    "deepgram-flux": "DEEPGRAM_API_KEY",
    "soniox": "SONIOX_API_KEY",
    "sarvam": "SARVAM_API_KEY",
    "openai": "OPENAI_API_KEY",
    "gemini": "GOOGLE_API_KEY",
    "vertex": "GOOGLE_VERTEX_CREDENTIALS",
    "elevenlabs": "ELEVENLABS_API_KEY",
}


class UnknownProviderError(LookupError):
    """A bot names a provider that is not registered."""


def register(kind: ProviderKind, name: str, module: str) -> None:
    """Add a provider (tests register fakes this way, like any other provider)."""
    _REGISTRY[(kind, name)] = module


def key_env(spec: ProviderSpec) -> str | None:
    """The environment variable a provider's key comes from; None when it needs no key."""
    return KEY_ENV.get(spec.name)


def names(kind: ProviderKind) -> list[str]:
    return sorted(name for (k, name) in _REGISTRY if k == kind)


def _module(spec: ProviderSpec) -> Any:
    try:
        path = _REGISTRY[(spec.kind, spec.name)]
    except KeyError:
        known = ", ".join(names(spec.kind)) or "none"
        raise UnknownProviderError(
            f"unknown {spec.kind} provider {spec.name!r} (registered: {known})"
        ) from None
    return importlib.import_module(path)


def create(spec: ProviderSpec, ctx: ProviderContext) -> FrameProcessor:
    """Build the Pipecat service a spec names, configured for one call."""
    factory = cast(Callable[[ProviderSpec, ProviderContext], FrameProcessor], _module(spec).create)
    return factory(spec, ctx)


def share_cores(spec: ProviderSpec, parallel: int) -> None:
    """Tell an in-process model that ``parallel`` samples run at once (batch scoring), so it
    can split the cores between them; cloud providers have nothing to plan."""
    planner = getattr(_module(spec), "share_cores", None)
    if planner is not None:
        planner(parallel)


def preload(spec: ProviderSpec) -> None:
    """Load a provider's weights into the process so the first call does not pay for it."""
    loader = getattr(_module(spec), "preload", None)
    if loader is not None:
        loader(spec)
