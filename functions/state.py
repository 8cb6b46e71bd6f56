"""What the app's routes share: settings, bots, call slots, where results go, readiness."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from loguru import logger

from functions.call.recorder import CallRecorder
from functions.livekit.calls import RoomCalls
from functions.modal import backends
from shared.config.bridge import BridgeBotSource
from shared.config.source import BotSource, DirectoryBotSource
from shared.delivery import delivery_sink, recording_store
from shared.outbox.base import OutboxStore
from shared.outbox.sinks import RoutingSink
from shared.outbox.worker import OutboxWorker
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.results import CALL_RESULT, CallResult
from shared.settings import Settings
from shared.storage import RecordingStore, recording_key
from shared.storage.uploads import RECORDING, spool_recording
from shared.tracker import CallTracker, RedisCallTracker
from shared.webhooks import EgressPolicy, WebhookClient

# How long a finished call may take to hand over its recording.
RECORDING_WAIT_S = 5.0


@dataclass
class AppState:
    settings: Settings
    # The embedded YAML bots: the bot source unless a bridge is configured, and always the
    # set of providers preloaded before the server reports ready.
    defaults: DirectoryBotSource
    bots: BotSource
    tracker: CallTracker
    outbox: OutboxStore
    delivery: OutboxWorker
    recordings: RecordingStore
    credentials: Credentials
    webhooks: WebhookClient
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # LiveKit room calls by call id (functions/livekit/): background tasks in this process.
    room_calls: RoomCalls = field(default_factory=RoomCalls)
    load_seconds: float | None = None
    load_error: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AppState:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        outbox = backends.outbox_store(settings)
        recordings = recording_store(settings)
        credentials = Credentials.from_settings(settings)
        defaults = DirectoryBotSource(settings.bots_dir, check=credentials.check)
        bots: BotSource = defaults
        if settings.bridge_url:
            bots = BridgeBotSource(
                settings.bridge_url,
                settings.bridge_token,
                timeout_s=settings.bridge_timeout_s,
                ttl_s=settings.bridge_ttl_s,
                stale_if_error_s=settings.bridge_stale_if_error_s,
                check=credentials.check,
            )
        return cls(
            settings=settings,
            defaults=defaults,
            bots=bots,
            tracker=call_tracker(settings),
            outbox=outbox,
            delivery=OutboxWorker(
                outbox,
                lease_s=settings.outbox_lease_s,
                sink=delivery_sink(settings, recordings),
            ),
            recordings=recordings,
            credentials=credentials,
            webhooks=WebhookClient(
                EgressPolicy.from_strings(
                    settings.webhook_allow_private, settings.webhook_allowed_networks
                ),
                settings.tool_secrets,
            ),
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
        key = f"{CALL_RESULT}:{result.call_id}"
        await asyncio.to_thread(self.outbox.enqueue, CALL_RESULT, key, result)

    async def keep_recording(self, result: CallResult, recorder: CallRecorder) -> str | None:
        """Spool the call's WAV and queue its upload; return where it will be stored."""
        try:
            async with asyncio.timeout(RECORDING_WAIT_S):
                wav = await recorder.wav()
        except TimeoutError:
            logger.warning(f"call {result.call_id}: no recording (the pipeline never ran)")
            return None
        key = recording_key(
            result.tenant or "default", result.bot_id or "-", result.started_at, result.call_id
        )
        metadata = {
            "call_id": result.call_id,
            "bot": result.bot_id or "",
            "tenant": result.tenant or "",
        }
        spool = self.settings.data_dir / "spool"
        payload = await asyncio.to_thread(
            spool_recording, spool, result.call_id, key, wav, metadata
        )
        await asyncio.to_thread(
            self.outbox.enqueue, RECORDING, f"recording:{result.call_id}", payload
        )
        return self.recordings.location(key)

    async def close(self) -> None:
        await self.room_calls.aclose()
        if isinstance(self.bots, BridgeBotSource):
            await self.bots.aclose()
        if isinstance(self.delivery.sink, RoutingSink):
            await self.delivery.sink.aclose()
        await self.tracker.aclose()
        await self.webhooks.aclose()
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


def call_tracker(settings: Settings) -> CallTracker:
    """Slots shared with other processes (Redis, or a modal.Dict) when configured, else this
    process's own."""
    tracker = backends.call_tracker(settings)
    if isinstance(tracker, RedisCallTracker):
        logger.info(f"call slots: {tracker.limit} shared in Redis at {tracker.location}")
    return tracker
