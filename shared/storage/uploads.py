"""Recording uploads that survive a storage outage: spool to local disk, upload via the outbox.

A call's WAV is written to a spool directory first (durable, local), and an outbox message of
kind ``recording`` names it. :class:`RecordingUploadSink` delivers such messages: it puts the
file in the recording store and removes the spooled copy. Storage down is a retryable
delivery error, so the outbox keeps trying with backoff; a store that refuses the recording
outright (no such bucket, access denied) dead-letters it, and the spooled file stays for replay.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from shared.outbox.sinks import DeliveryError
from shared.outbox.store import OutboxMessage
from shared.storage.base import RecordingStore, StorageRejected, StorageUnavailable, safe_part

RECORDING = "recording"


def spool_recording(
    spool_dir: Path, call_id: str, key: str, wav: bytes, metadata: dict[str, str]
) -> dict[str, Any]:
    """Write ``wav`` to the spool (atomically, fsync'd); return the outbox payload naming it."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    target = spool_dir / f"{safe_part(call_id, 'call id')}.wav"
    partial = target.with_suffix(".partial")
    with partial.open("wb") as file:
        file.write(wav)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(target)
    return {"key": key, "spool": str(target), "metadata": metadata}


class RecordingUploadSink:
    """Delivers ``recording`` outbox messages to a :class:`RecordingStore`."""

    def __init__(self, store: RecordingStore) -> None:
        self.store = store

    async def deliver(self, message: OutboxMessage) -> None:
        payload = message.payload
        spooled = Path(payload["spool"])
        try:
            wav = await asyncio.to_thread(spooled.read_bytes)
        except FileNotFoundError:
            raise DeliveryError(f"spooled recording {spooled} is gone", retryable=False) from None
        try:
            await self.store.put(payload["key"], wav, dict(payload["metadata"]))
        except StorageUnavailable as error:
            raise DeliveryError(str(error), retryable=True) from None
        except StorageRejected as error:
            raise DeliveryError(str(error), retryable=False) from None
        await asyncio.to_thread(spooled.unlink, missing_ok=True)
