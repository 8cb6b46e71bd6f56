"""The fake TTS in a real Pipecat pipeline: a tone per sentence, failures Pipecat files right."""

from __future__ import annotations

from pipecat.frames.frames import (
    CancelFrame,
    ErrorFrame,
    Frame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory

from shared.providers import registry
from shared.providers.fake.tts import FakeTTSService
from shared.providers.spec import ProviderContext, ProviderSpec


def fake(**options: object) -> FakeTTSService:
    spec = ProviderSpec(kind="tts", name="fake", options=options)
    service = registry.create(spec, ProviderContext(sample_rate=8000))
    assert isinstance(service, FakeTTSService)
    return service


async def spoken(service: FakeTTSService, *texts: str) -> tuple[float, list[ErrorFrame]]:
    """Seconds of audio the service made for ``texts``, and the errors it reported."""
    frames: list[Frame] = [f for text in texts for f in (TTSSpeakFrame(text), SleepFrame(0.1))]
    # Cancelled, not ended: an EndFrame waits out Pipecat's 3 s timeout on each context a
    # failed sentence left without audio.
    frames.append(CancelFrame())
    down, up = await run_test(service, frames_to_send=frames, send_end_frame=False)
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert all(f.sample_rate == 8000 for f in audio)
    seconds = sum(len(f.audio) for f in audio) / 2 / 8000
    return seconds, [f for f in up if isinstance(f, ErrorFrame)]


async def test_each_sentence_is_a_tone_as_long_as_its_text() -> None:
    seconds, errors = await spoken(fake(ms_per_char=10), "Hello.", "Goodbye now.")
    assert errors == []
    assert abs(seconds - 0.18) < 0.03  # 18 characters at 10 ms


async def test_a_permanent_failure_silences_the_service() -> None:
    service = fake(fail_after=1, error="invalid_request")
    seconds, errors = await spoken(service, "Hello.", "Are you there?", "Goodbye.")
    assert [e.category for e in errors] == [ErrorCategory.INVALID_REQUEST]
    assert not service.is_usable
    assert abs(seconds - 0.12) < 0.03  # only the first sentence was spoken
