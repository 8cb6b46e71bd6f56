"""What a recording store promises, and how a recording is named.

Stores raise one of two errors so the outbox can decide without knowing the backend:
``StorageUnavailable`` (try again later) or ``StorageRejected`` (retrying will not help).
Messages name the store and the key, never credentials.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """A recording could not be stored."""


class StorageUnavailable(StorageError):
    """Transient: connection refused, timeouts, 5xx, throttling, a full disk. Retry later."""


class StorageRejected(StorageError):
    """Permanent: access denied, no such bucket, a bad key. Retrying the same put will not help."""


@runtime_checkable
class RecordingStore(Protocol):
    """Where finished call recordings go."""

    def location(self, key: str) -> str:
        """Where ``key`` is (or will be) stored: known before the upload finishes."""
        ...

    async def put(self, key: str, wav: bytes, metadata: dict[str, str]) -> str:
        """Store ``wav`` under ``key`` (a ``recording_key``) and return its location."""
        ...


_UNSAFE = re.compile(r"(?:[^A-Za-z0-9._-]|\.{2,})+")


def safe_part(value: str, what: str) -> str:
    """One path segment from an id: only ``[A-Za-z0-9._-]``, no ``..`` or leading dot, not empty.

    Ids come from carriers and the bridge; none of them may pick a directory.
    """
    part = _UNSAFE.sub("_", value).lstrip(".")
    if not part.strip("_"):
        raise ValueError(f"{what} {value!r} has nothing usable as a path segment")
    return part


def recording_key(tenant: str, bot_id: str, started_at: datetime, call_id: str) -> str:
    """``tenant/bot/YYYY/MM/DD/call_id.wav``, dated in UTC (naive times are taken as UTC)."""
    day = started_at.astimezone(UTC) if started_at.tzinfo else started_at
    parts = (safe_part(tenant, "tenant"), safe_part(bot_id, "bot id"))
    return f"{parts[0]}/{parts[1]}/{day:%Y/%m/%d}/{safe_part(call_id, 'call id')}.wav"


def check_key(key: str) -> str:
    """Refuse keys that could leave the store's root: absolute, ``..``, backslashes, empty parts."""
    segments = key.split("/")
    if (
        not key
        or "\\" in key
        or "\x00" in key
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        raise StorageRejected(f"refusing recording key {key!r}: not a plain relative path")
    return key
