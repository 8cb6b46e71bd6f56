"""The fake STT in a real Pipecat pipeline: scripted transcripts, failures Pipecat files right."""

from __future__ import annotations

import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory
from pydantic import ValidationError

from shared.providers import registry
from shared.providers.fake.stt import FakeSTTScript, FakeSTTService
from shared.providers.spec import ProviderContext, ProviderSpec


def utterances(count: int) -> list[Frame]:
    """What the VAD and the transport send for ``count`` caller utterances of 0.1 s each."""
    frames: list[Frame] = []
    for _ in range(count):
        frames += [
            VADUserStartedSpeakingFrame(),
            InputAudioRawFrame(audio=bytes(3200), sample_rate=16000, num_channels=1),
            VADUserStoppedSpeakingFrame(),
            SleepFrame(0.05),
        ]
    return frames


async def heard(service: FakeSTTService, count: int) -> tuple[list[str], list[ErrorFrame]]:
    down, up = await run_test(service, frames_to_send=utterances(count))
    texts = [f.text for f in down if isinstance(f, TranscriptionFrame)]
    return texts, [f for f in up if isinstance(f, ErrorFrame)]


def fake(**options: object) -> FakeSTTService:
    spec = ProviderSpec(kind="stt", name="fake", options=options)
    service = registry.create(spec, ProviderContext(sample_rate=8000))
    assert isinstance(service, FakeSTTService)
    return service


async def test_each_utterance_is_heard_as_the_next_scripted_transcript() -> None:
    texts, errors = await heard(fake(transcripts=["Hello.", "", "Order 4512."]), 4)
    # The second is scripted as unheard, and the fourth is past the script's end.
    assert (texts, errors) == (["Hello.", "Order 4512."], [])


async def test_a_permanent_failure_makes_the_service_unusable() -> None:
    service = fake(transcripts=["One.", "Two.", "Three."], fail_after=1, error="authentication")
    texts, errors = await heard(service, 3)
    assert texts == ["One."]
    assert len(errors) == 1  # the third utterance is never given to an unusable service
    assert errors[0].category is ErrorCategory.AUTHENTICATION
    assert "scripted failure on turn 2" in errors[0].error
    assert not service.is_usable


@pytest.mark.parametrize("error", ["unknown", "server"])
async def test_a_transient_failure_is_reported_and_the_service_kept(error: str) -> None:
    service = fake(transcripts=["One.", "Two.", "Three."], fail_after=1, error=error)
    texts, errors = await heard(service, 3)
    assert texts == ["One."]
    assert [e.category for e in errors] == [ErrorCategory(error)] * 2  # each later turn fails
    assert service.is_usable


def test_options_are_checked_when_the_bot_is_built() -> None:
    with pytest.raises(ValidationError):
        fake(transcript=["typo"])
    with pytest.raises(ValidationError):
        fake(error="flaky")
    assert FakeSTTScript().fail_after is None
