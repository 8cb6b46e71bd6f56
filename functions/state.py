"""What the app's routes share: settings, bots, call slots, where results go, readiness."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from loguru import logger

from shared.config.bridge import BridgeBotSource
from shared.config.source import BotSource, DirectoryBotSource
from shared.outbox.sinks import HttpSink, JsonlSink, Sink
from shared.outbox.store import SqliteOutbox
from shared.outbox.worker import OutboxWorker
from shared.providers import registry
from shared.results import CallResult
from shared.settings import Settings
from shared.tracker import InProcessCallTracker


@dataclass
class AppState:
    settings: Settings
    # The embedded YAML bots: the bot source unless a bridge is configured, and always the
    # set of providers preloaded before the server reports ready.
    defaults: DirectoryBotSource
    bots: BotSource
    tracker: InProcessCallTracker
    outbox: SqliteOutbox
    delivery: OutboxWorker
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    load_seconds: float | None = None
    load_error: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AppState:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        outbox = SqliteOutbox(settings.data_dir / "outbox.sqlite")
        defaults = DirectoryBotSource(settings.bots_dir)
        bots: BotSource = defaults
        if settings.bridge_url:
            bots = BridgeBotSource(
                settings.bridge_url,
                settings.bridge_token,
                timeout_s=settings.bridge_timeout_s,
                ttl_s=settings.bridge_ttl_s,
                stale_if_error_s=settings.bridge_stale_if_error_s,
            )
        return cls(
            settings=settings,
            defaults=defaults,
            bots=bots,
            tracker=InProcessCallTracker(settings.max_concurrent_calls),
            outbox=outbox,
            delivery=OutboxWorker(outbox, results_sink(settings)),
        )

    @property
    def stream_secret(self) -> str | None:
        """Signs Twilio stream tokens; without any secret configured, streams are not checked."""
        secret = self.settings.media_token or self.settings.twilio_auth_token
        return secret.get_secret_value() if secret else None

    def preload(self) -> None:
        """Load every model the configured bots use, so no call pays for a first load."""
        started = time.perf_counter()
        specs = {
            spec.model_dump_json(): spec
            for bot in self.defaults.list()
            for spec in (bot.stt, bot.llm, bot.tts)
        }
        for spec in specs.values():
            registry.preload(spec)
        self.load_seconds = time.perf_counter() - started
        logger.info(f"models ready in {self.load_seconds:.2f} s ({len(specs)} providers)")

    async def record(self, result: CallResult) -> None:
        """Write a call's result durably, before its slot is released; delivery comes later."""
        key = f"call_result:{result.call_id}"
        await asyncio.to_thread(self.outbox.enqueue, "call_result", key, result)

    async def close(self) -> None:
        if isinstance(self.bots, BridgeBotSource):
            await self.bots.aclose()
        if isinstance(self.delivery.sink, HttpSink):
            await self.delivery.sink.aclose()
        self.outbox.close()

    async def load(self) -> None:
        """Preload, then turn ready; a failure is logged and reported by ``/ready``."""
        try:
            await asyncio.to_thread(self.preload)
        except Exception as error:
            self.load_error = f"{type(error).__name__}: {error}"
            logger.exception(f"model preload failed; the server stays not-ready: {error}")
            return
        self.ready.set()


def results_sink(settings: Settings) -> Sink:
    """The bridge (signed) when one is configured with a secret, else ``results.jsonl``."""
    if settings.bridge_url and settings.bridge_secret:
        url = f"{settings.bridge_url.rstrip('/')}/v1/call-results"
        return HttpSink(url, settings.bridge_secret)
    return JsonlSink(settings.data_dir / "results.jsonl")
