"""Call slots: ``MAX_CONCURRENT_CALLS`` enforced atomically, released on every exit path.

In-process by default; Redis when many processes share one limit (``VOXCORE_TRACKER_URL``).
"""

from __future__ import annotations

from shared.tracker.base import CallTracker, CapacityFullError, TrackerUnavailableError
from shared.tracker.memory import InProcessCallTracker
from shared.tracker.redis import RedisCallTracker

__all__ = [
    "CallTracker",
    "CapacityFullError",
    "InProcessCallTracker",
    "RedisCallTracker",
    "TrackerUnavailableError",
    "tracker_for",
]


def tracker_for(limit: int, url: str | None = None, lease_s: float = 30.0) -> CallTracker:
    """Redis slots when a URL is given, else this process's own."""
    if url:
        return RedisCallTracker(url, limit, lease_s=lease_s)
    return InProcessCallTracker(limit)
