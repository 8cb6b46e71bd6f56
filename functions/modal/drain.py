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
from shared.delivery import delivery_sink
from shared.outbox.modal import ModalDictOutbox
from shared.outbox.worker import OutboxWorker
from shared.settings import Settings


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
