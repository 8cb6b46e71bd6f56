"""Many reservations at once, spread over trackers: the burst every backend's tests throw."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.tracker import CallTracker, CapacityFullError


async def reserve_at_once(trackers: Sequence[CallTracker], call_ids: Sequence[str]) -> list[str]:
    """Reserve every id at the same time, the i-th through ``trackers[i % len]``; the ids
    that got a slot (the rest were refused as full)."""

    async def attempt(index: int, call_id: str) -> str | None:
        try:
            await trackers[index % len(trackers)].reserve(call_id)
        except CapacityFullError:
            return None
        return call_id

    outcomes = await asyncio.gather(*(attempt(i, c) for i, c in enumerate(call_ids)))
    return [call_id for call_id in outcomes if call_id]
