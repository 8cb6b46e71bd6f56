"""What the Modal containers run, in two phases around a memory snapshot.

``preload`` runs inside ``@modal.enter(snap=True)``: imports, every model the embedded bots use,
and one Silero VAD and SmartTurn session (their ONNX runtimes initialized once). Nothing in it
opens a socket or reads a secret, since a snapshot keeps memory but no connections and is taken
before settings may change. After a restore, ``media_app`` and ``agent_state`` read the settings
(Secrets included), build the app's state and swap in the backends the containers share.
"""

from __future__ import annotations

import asyncio
import importlib
import time

from fastapi import FastAPI
from loguru import logger

from functions.modal import backends
from functions.modal.calls import CallRegistry, Spawn
from functions.modal.rooms import SpawnedRoomCalls
from functions.state import AppState
from shared.config.source import DirectoryBotSource
from shared.providers import registry
from shared.settings import Settings

# How long a finished agent waits for its own recording upload and result to go out.
FLUSH_S = 20.0
# A Dict outbox is polled over the network: every 2 s per container instead of 0.5 s.
DICT_POLL_S = 2.0
# What Pipecat imports on a call's first use rather than at import: the LLM adapter pulls in
# the whole openai package (~0.5-1 s here), which the first caller would otherwise wait for.
FIRST_USE_IMPORTS = ("pipecat.adapters.llm.services.open_ai_adapter",)


def preload(settings: Settings) -> float:
    """Load what the first call would otherwise load; returns the seconds it took."""
    from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
    from pipecat.audio.vad.silero import SileroVADAnalyzer

    import functions.app  # noqa: F401  (imported here, the snapshot keeps it)

    started = time.perf_counter()
    for module in FIRST_USE_IMPORTS:
        importlib.import_module(module)
    bots = DirectoryBotSource(settings.bots_dir).list()
    specs = {spec.model_dump_json(): spec for bot in bots for spec in (bot.stt, bot.llm, bot.tts)}
    for spec in specs.values():
        registry.preload(spec)
    SileroVADAnalyzer(sample_rate=16000)
    LocalSmartTurnAnalyzerV3()
    seconds = time.perf_counter() - started
    logger.info(f"preloaded {len(specs)} providers and the turn models in {seconds:.2f} s")
    return seconds


def use_shared_backends(state: AppState, spawn: Spawn | None = None) -> None:
    """Tune ``state`` for the shared backends ``AppState`` chose (functions.modal.backends),
    and spawn LiveKit calls as per-call containers."""
    settings = state.settings
    if settings.outbox_dict:
        state.delivery.poll_s = DICT_POLL_S
    if spawn is not None and settings.calls_dict:
        calls = CallRegistry(backends.dict_named(settings.calls_dict))
        state.room_calls = SpawnedRoomCalls(state.record, spawn, calls)


def media_app(settings: Settings, spawn: Spawn | None, load_seconds: float | None) -> FastAPI:
    """The local server's app; models are in memory already, so it is ready at once."""
    from functions.app import create_app

    app = create_app(settings, preload=False)
    state: AppState = app.state.voxcore
    state.load_seconds = load_seconds
    use_shared_backends(state, spawn)
    return app


def agent_state(settings: Settings, load_seconds: float | None) -> AppState:
    state = AppState.from_settings(settings)
    state.load_seconds = load_seconds
    use_shared_backends(state)
    state.ready.set()
    return state


def call_registry(settings: Settings) -> CallRegistry | None:
    return CallRegistry(backends.dict_named(settings.calls_dict)) if settings.calls_dict else None


async def flush(state: AppState, within_s: float = FLUSH_S) -> int:
    """Deliver what is due (this agent's recording and result among it) before the container
    goes; what still fails stays in the shared outbox for the drain."""
    deadline, tried = time.monotonic() + within_s, 0
    while time.monotonic() < deadline and (batch := await state.delivery.run_once()):
        tried += batch
        await asyncio.sleep(0)
    return tried
