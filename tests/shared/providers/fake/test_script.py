"""The timeline every fake shares: turns counted, delays kept, failures raised on cue."""

from __future__ import annotations

import time

import pytest
from pipecat.utils.errors import ErrorCategory

from shared.providers.fake.script import FakeProviderError, Script, Timeline, classify


async def test_turns_are_counted_and_fail_from_fail_after_on() -> None:
    timeline = Timeline(Script(fail_after=2, error=ErrorCategory.SERVER), "fake-x")
    assert [await timeline.next_turn(), await timeline.next_turn()] == [0, 1]
    for turn in (3, 4):
        with pytest.raises(FakeProviderError, match=f"fake-x: scripted failure on turn {turn}"):
            await timeline.next_turn()


async def test_each_turn_waits_the_scripted_delay_first() -> None:
    timeline = Timeline(Script(delay_s=0.1, fail_after=1), "fake-x")
    started = time.perf_counter()
    await timeline.next_turn()
    with pytest.raises(FakeProviderError):
        await timeline.next_turn()  # a slow failure, as a timing-out provider's
    assert time.perf_counter() - started >= 0.2


def test_only_scripted_failures_are_classified() -> None:
    failure = FakeProviderError("boom", ErrorCategory.AUTHORIZATION)
    assert classify(failure) is ErrorCategory.AUTHORIZATION
    assert classify(RuntimeError("boom")) is None  # left to Pipecat
