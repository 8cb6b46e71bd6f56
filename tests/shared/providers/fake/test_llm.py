"""The fake LLM in a real Pipecat pipeline: a scripted reply per context, failures on cue."""

from __future__ import annotations

from pipecat.frames.frames import (
    ErrorFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.utils.errors import ErrorCategory

from shared.providers import registry
from shared.providers.fake.llm import FakeLLMService
from shared.providers.spec import ProviderContext, ProviderSpec


def fake(**options: object) -> FakeLLMService:
    spec = ProviderSpec(kind="llm", name="fake", options=options)
    service = registry.create(spec, ProviderContext(sample_rate=8000))
    assert isinstance(service, FakeLLMService)
    return service


async def replies(service: FakeLLMService, turns: int) -> tuple[list[str], list[ErrorFrame]]:
    context = LLMContext(messages=[{"role": "user", "content": "Hi."}])
    frames = [f for _ in range(turns) for f in (LLMContextFrame(context), SleepFrame(0.05))]
    down, up = await run_test(service, frames_to_send=frames)
    texts, text = [], ""
    for frame in down:
        if isinstance(frame, LLMFullResponseStartFrame):
            text = ""
        elif isinstance(frame, LLMTextFrame):
            text += frame.text
        elif isinstance(frame, LLMFullResponseEndFrame):
            texts.append(text)
    return texts, [f for f in up if isinstance(f, ErrorFrame)]


async def test_each_context_gets_the_next_scripted_reply() -> None:
    texts, errors = await replies(fake(replies=["Hello!", "Your order shipped."]), 3)
    assert (texts, errors) == (["Hello!", "Your order shipped.", ""], [])


async def test_a_failure_is_reported_with_its_category_and_the_response_closed() -> None:
    service = fake(replies=["Hello!", "Never said."], fail_after=1, error="authorization")
    texts, errors = await replies(service, 2)
    assert texts == ["Hello!", ""]  # the failed turn still ends its response
    assert [e.category for e in errors] == [ErrorCategory.AUTHORIZATION]
    assert not service.is_usable
