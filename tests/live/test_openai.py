"""Live: the registry's ``openai`` LLM against the real API, when ``OPENAI_API_KEY`` is set.

Opt-in (it bills tokens): skipped without the key. ``OPENAI_BASE_URL`` points it at any
OpenAI-compatible server instead (vLLM, Ollama), ``OPENAI_MODEL`` picks the model.
"""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from shared.providers import registry
from shared.providers.openai.llm import OpenAILLMService
from shared.providers.spec import ProviderAccess, ProviderContext, ProviderSpec
from tests.shared.providers.openai.conversation import analyze, converse

KEY = os.environ.get("OPENAI_API_KEY")
MODEL = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")

pytestmark = pytest.mark.skipif(
    not KEY, reason="live OpenAI test: set OPENAI_API_KEY to run it (it bills tokens)"
)


def openai() -> OpenAILLMService:
    spec = ProviderSpec(kind="llm", name="openai", model=MODEL, options={"temperature": 0})
    access = ProviderAccess(SecretStr(KEY or ""), os.environ.get("OPENAI_BASE_URL"))
    service = registry.create(spec, ProviderContext(sample_rate=8000, access=access))
    assert isinstance(service, OpenAILLMService)
    return service


async def test_real_openai_answers_a_caller_and_reports_usage() -> None:
    llm = openai()
    talk = await converse(llm, ["My voicemail password doesn't work."], pause_s=8.0)

    assert talk.errors == []
    assert talk.replies and talk.replies[0].strip(), talk.replies
    assert "extension" in talk.replies[0].lower() or talk.tool_calls, talk.replies
    usage = talk.usage()
    assert usage and usage[0].value.prompt_tokens > 0 and usage[0].value.completion_tokens > 0
    assert talk.ttfb()


async def test_real_openai_analyzes_a_call_in_the_strict_schema() -> None:
    llm = openai()
    analysis = await analyze(llm, f"llm:openai/{MODEL}")
    await llm.cleanup()
    assert analysis.disposition == "ticket_opened"
    assert analysis.fields.get("extension") == "55"
