"""The backends Modal containers share, chosen by settings (docs/deploy.md).

Call slots: Redis when ``VOXCORE_TRACKER_URL`` is set, else the ``modal.Dict`` named by
``VOXCORE_TRACKER_DICT``, else this container's own. The outbox: the ``modal.Dict`` named by
``VOXCORE_OUTBOX_DICT`` (a container's disk does not outlive it, so SQLite there would lose
results at scale-down), else SQLite. Nothing here imports Pipecat: the drain's light image
uses it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

from shared.outbox.modal import ModalDictOutbox
from shared.outbox.store import OutboxMessage, SqliteOutbox
from shared.settings import Settings
from shared.storage.uploads import RECORDING
from shared.tracker import CallTracker, tracker_for
from shared.tracker.modal import ModalDictCallTracker

# A recording whose container died before uploading it is gone with that disk; the drain
# dead-letters its message ("spooled recording ... is gone") after this long.
ORPHANED_RECORDING_S = 3600.0


def modal_dict(name: str) -> Any:
    """A named ``modal.Dict``, created on first use (lazy: no network until then)."""
    import modal

    return modal.Dict.from_name(name, create_if_missing=True)


# Tests put an in-memory stand-in here; everything below asks this for its Dicts.
dict_named: Callable[[str], Any] = modal_dict


def call_tracker(settings: Settings) -> CallTracker:
    url = settings.tracker_url.get_secret_value() if settings.tracker_url else None
    if url or not settings.tracker_dict:
        return tracker_for(settings.max_concurrent_calls, url, settings.tracker_lease_s)
    logger.info(f"call slots: {settings.max_concurrent_calls} shared in {settings.tracker_dict}")
    return ModalDictCallTracker(
        dict_named(settings.tracker_dict),
        settings.max_concurrent_calls,
        lease_s=settings.tracker_lease_s,
    )


def spooled_here(message: OutboxMessage) -> bool:
    """A recording's upload belongs to the container whose disk holds the spooled file."""
    return message.kind != RECORDING or Path(message.payload["spool"]).exists()


def orphaned_or_not_recording(message: OutboxMessage) -> bool:
    """What the drain takes: all but recordings another container may still upload."""
    return message.kind != RECORDING or time.time() - message.age_from > ORPHANED_RECORDING_S


def outbox_store(
    settings: Settings, claimable: Callable[[OutboxMessage], bool] = spooled_here
) -> ModalDictOutbox | SqliteOutbox:
    if not settings.outbox_dict:
        return SqliteOutbox(settings.data_dir / "outbox.sqlite")
    name = settings.outbox_dict
    return ModalDictOutbox(dict_named(name), dict_named(f"{name}-index"), claimable=claimable)
