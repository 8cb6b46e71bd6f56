"""The scheduled outbox drain: what no call container is left to deliver, delivered.

Call containers deliver their own results as they go; this runs on a schedule in the light
image so that results still go out when every call container has scaled down, a crash left
the outbox's index stale, or the bridge was down when the calls ended. Light: no Pipecat.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from loguru import logger

from functions.modal.backends import orphaned_or_not_recording, outbox_store
from shared.handoff import HANDOFF
from shared.outbox.modal import ModalDictOutbox
from shared.outbox.sinks import HttpSink, JsonlSink, RoutingSink, Sink
from shared.outbox.worker import OutboxWorker
from shared.results import CALL_RESULT
from shared.settings import Settings
from shared.storage import store_from_settings
from shared.storage.uploads import RECORDING, RecordingUploadSink


def bridge_sink(settings: Settings, what: str, file: str | None = None) -> Sink:
    """The choice ``functions.state`` makes (its module imports Pipecat, this image has none):
    ``POST {bridge}/v1/<what>`` signed, else a JSONL file (on Modal: the container's disk)."""
    if settings.bridge_url and settings.bridge_secret:
        return HttpSink(f"{settings.bridge_url.rstrip('/')}/v1/{what}", settings.bridge_secret)
    return JsonlSink(settings.data_dir / (file or f"{what}.jsonl"))


def delivery_sink(settings: Settings) -> RoutingSink:
    recordings = store_from_settings(
        directory=settings.data_dir / "recordings",
        bucket=settings.recordings_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
    )
    return RoutingSink(
        {
            CALL_RESULT: bridge_sink(settings, "call-results", "results.jsonl"),
            HANDOFF: bridge_sink(settings, "handoffs"),
            RECORDING: RecordingUploadSink(recordings),
        }
    )


async def drain_outbox(settings: Settings, budget_s: float = 50.0) -> dict[str, Any]:
    """Repair the index, then deliver what is due until nothing is or ``budget_s`` has passed."""
    store = outbox_store(settings, claimable=orphaned_or_not_recording)
    repaired = 0
    if isinstance(store, ModalDictOutbox):
        repaired = await asyncio.to_thread(store.repair)
    sink = delivery_sink(settings)
    worker = OutboxWorker(store, sink, lease_s=settings.outbox_lease_s)
    deadline, tried = time.monotonic() + budget_s, 0
    try:
        while time.monotonic() < deadline and (batch := await worker.run_once()):
            tried += batch
        counts = await asyncio.to_thread(store.counts)
    finally:
        await sink.aclose()
        store.close()
    logger.info(f"outbox drain: {tried} tried, {repaired} re-indexed, now {counts}")
    return {"tried": tried, "repaired": repaired, **counts}
