"""Live: the registry's ``gemini`` and ``vertex`` LLMs against Google, when their keys are set.

Opt-in (they bill tokens), each skipped without its key: ``GOOGLE_API_KEY`` for the Gemini API;
``GOOGLE_VERTEX_CREDENTIALS`` (a service account's JSON) for Vertex AI, in the account's project
unless ``GOOGLE_CLOUD_PROJECT`` says otherwise, at ``VERTEX_LOCATION`` (default ``global``).
``GEMINI_MODEL`` picks the model for both.
"""

from __future__ import annotations

import os

import pytest
from pipecat.services.google.llm import GoogleLLMService
from pydantic import SecretStr

from shared.providers import registry
from shared.providers.spec import ProviderAccess, ProviderContext, ProviderSpec
from tests.shared.providers.openai.conversation import analyze, converse

KEYS = {
    "gemini": os.environ.get("GOOGLE_API_KEY"),
    "vertex": os.environ.get("GOOGLE_VERTEX_CREDENTIALS"),
}
MODEL = os.environ.get("GEMINI_MODEL", "gemini-2.5-flash")
PROVIDERS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            not KEYS[name],
            reason=f"live {name} test: set {variable} to run it (it bills tokens)",
        ),
    )
    for name, variable in (("gemini", "GOOGLE_API_KEY"), ("vertex", "GOOGLE_VERTEX_CREDENTIALS"))
]
# google-genai subclasses aiohttp's ClientSession per client, which aiohttp calls deprecated.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)


def google(name: str) -> GoogleLLMService:
    options: dict[str, object] = {"temperature": 0}
    if name == "vertex":
        options["location"] = os.environ.get("VERTEX_LOCATION", "global")
        if project := os.environ.get("GOOGLE_CLOUD_PROJECT"):
            options["project"] = project
    spec = ProviderSpec(kind="llm", name=name, model=MODEL, options=options)
    access = ProviderAccess(SecretStr(KEYS[name] or ""))
    service = registry.create(spec, ProviderContext(sample_rate=8000, access=access))
    assert isinstance(service, GoogleLLMService)
    return service


@pytest.mark.parametrize("name", PROVIDERS)
async def test_real_gemini_answers_a_caller_and_reports_usage(name: str) -> None:
    talk = await converse(google(name), ["My voicemail password doesn't work."], pause_s=8.0)

    assert talk.errors == []
    assert talk.replies and talk.replies[0].strip(), talk.replies
    assert "extension" in talk.replies[0].lower() or talk.tool_calls, talk.replies
    usage = talk.usage()
    assert usage and usage[0].value.prompt_tokens > 0 and usage[0].value.completion_tokens > 0
    assert talk.ttfb()


@pytest.mark.parametrize("name", PROVIDERS)
async def test_real_gemini_analyzes_a_call_in_the_response_schema(name: str) -> None:
    llm = google(name)
    analysis = await analyze(llm, f"llm:{name}/{MODEL}")
    await llm.cleanup()
    assert analysis.disposition == "ticket_opened"
    assert analysis.fields.get("extension") == "55"
