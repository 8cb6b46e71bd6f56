"""Waiting on another thread or process from a test: poll a condition until a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], bool], within_s: float, what: str = "condition") -> None:
    """Return once ``condition()`` holds; fail the test after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {within_s} s waiting for {what}"
        time.sleep(0.02)
