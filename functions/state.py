"""What the app's routes share: settings, bots, call slots, where results go, readiness."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from loguru import logger

from shared.config.bridge import BridgeBotSource
from shared.config.source import BotSource, DirectoryBotSource
from shared.providers import registry
from shared.results import JsonlResultSink
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
    results: JsonlResultSink
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    load_seconds: float | None = None
    load_error: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AppState:
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
            results=JsonlResultSink(settings.data_dir / "results.jsonl"),
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

    async def close(self) -> None:
        if isinstance(self.bots, BridgeBotSource):
            await self.bots.aclose()

    async def load(self) -> None:
        """Preload, then turn ready; a failure is logged and reported by ``/ready``."""
        try:
            await asyncio.to_thread(self.preload)
        except Exception as error:
            self.load_error = f"{type(error).__name__}: {error}"
            logger.exception(f"model preload failed; the server stays not-ready: {error}")
            return
        self.ready.set()
