"""``gemini`` and ``vertex`` against a fake Gemini API / Vertex AI server on 127.0.0.1.

The fake speaks google-genai's wire protocol (``streamGenerateContent?alt=sse`` with text and
``functionCall`` parts and ``usageMetadata``; ``generateContent`` with a JSON response schema;
the API key, or a service account's OAuth token for Vertex); a scripted agent decides what it
says. The services run inside a real Pipecat pipeline with the scenario's tools registered.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.auth.exceptions import RefreshError
from pipecat.services.google.llm import GoogleLLMService
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr, ValidationError

from shared.providers import registry
from shared.providers.spec import MissingKeyError, ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.server import serving
from tests.fakes.vendors.gemini import FakeGemini, service_account_json, service_account_key
from tests.shared.providers.openai.conversation import analyze, converse

# google-genai subclasses aiohttp's ClientSession per client, which aiohttp calls deprecated.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

KEY = "AIza-test-0123456789"
PROBLEM = "My voicemail password doesn't work."
PROVIDERS = ["gemini", "vertex"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeGemini, str]]:
    fake = FakeGemini(api_key=KEY)
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def fake(server: tuple[FakeGemini, str]) -> FakeGemini:
    server[0].requests.clear()
    return server[0]


@pytest.fixture
def url(server: tuple[FakeGemini, str]) -> str:
    return server[1]


def google(
    name: str,
    url: str | None,
    fake: FakeGemini,
    key: str | None = None,
    model: str | None = "gemini-2.5-flash",
    **options: object,
) -> GoogleLLMService:
    """The provider's service from the registry, keyed and pointed at the fake."""
    if key is None:
        key = KEY if name == "gemini" else fake.credentials(url or "")
    spec = ProviderSpec(kind="llm", name=name, model=model, options=options)
    access = ProviderAccess(SecretStr(key) if key else None, url)
    service = registry.create(spec, ProviderContext(sample_rate=8000, access=access))
    assert isinstance(service, GoogleLLMService)
    return service


def generated(fake: FakeGemini) -> list[dict[str, object]]:
    return [r.body for r in fake.requests if r.path != "/token"]


@pytest.mark.parametrize("name", PROVIDERS)
async def test_a_ticket_call_streams_replies_and_calls_tools(
    name: str, fake: FakeGemini, url: str
) -> None:
    talk = await converse(google(name, url, fake), [PROBLEM, "It's one zero four.", "Bye!"])

    assert talk.errors == []
    ticket = {"category": "voicemail", "extension": "104", "summary": PROBLEM}
    assert talk.tool_calls == [
        ("open_ticket", ticket),
        ("end_call", {"reason": "caller said goodbye"}),
    ]
    ticket_id = talk.tool_results[0]["ticket_id"]
    assert talk.replies[2] == (
        f"I've opened ticket {ticket_id} for the voicemail problem on extension 104. "
        "A technician will call you back within four business hours."
    )
    assert talk.replies[3] == "Thanks for calling Acme Voice. Goodbye!"
    # The read-back request carried the function call and its response.
    parts = [part for c in generated(fake)[2]["contents"] for part in c["parts"]]  # type: ignore[attr-defined]
    assert any(p.get("functionCall", {}).get("args") == ticket for p in parts)
    answer = next(p["functionResponse"] for p in parts if "functionResponse" in p)
    assert answer["name"] == "open_ticket" and answer["response"]["ticket_id"] == ticket_id


@pytest.mark.parametrize("name", PROVIDERS)
async def test_every_response_reports_tokens_and_time_to_first_byte(
    name: str, fake: FakeGemini, url: str
) -> None:
    talk = await converse(google(name, url, fake), [PROBLEM, "55"])

    usage = talk.usage()
    assert len(usage) == len(generated(fake)) == 3
    for line in usage:
        assert line.model == "gemini-2.5-flash"
        assert line.value.prompt_tokens > 0 and line.value.completion_tokens > 0
    assert len(talk.ttfb()) == 3


async def test_gemini_sends_key_model_options_and_tools_to_the_tenants_endpoint(
    fake: FakeGemini, url: str
) -> None:
    llm = google("gemini", url, fake, temperature=0.3, max_tokens=200, thinking_budget=64)
    await converse(llm, [PROBLEM])

    request = fake.requests[0]
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert request.query == {"alt": "sse"}
    assert request.headers["x-goog-api-key"] == KEY
    config = request.body["generationConfig"]
    assert (config["temperature"], config["maxOutputTokens"]) == (0.3, 200)
    assert list(config["thinkingConfig"].values()) == [64]  # thinkingBudget (either case)
    assert "topP" not in config  # options the bot did not set are not sent
    declarations = request.body["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == ["get_order_status", "open_ticket", "end_call"]
    assert "Acme Voice" in request.body["systemInstruction"]["parts"][0]["text"]


async def test_vertex_takes_a_token_for_the_service_account_and_uses_its_project(
    fake: FakeGemini, url: str
) -> None:
    await converse(google("vertex", url, fake, location="europe-west4"), [PROBLEM])

    token, request = fake.requests[0], fake.requests[1]
    assert token.path == "/token"
    assert token.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert request.path == (
        "/v1beta1/projects/voxcore-test/locations/europe-west4/publishers/google/models/"
        "gemini-2.5-flash:streamGenerateContent"
    )
    assert request.headers["authorization"].removeprefix("Bearer ") in fake.tokens


def test_the_model_defaults_to_gemini_2_5_flash(fake: FakeGemini, url: str) -> None:
    for name in PROVIDERS:
        assert google(name, url, fake, model=None)._settings.model == "gemini-2.5-flash"


async def test_a_wrong_gemini_key_is_a_permanent_error(fake: FakeGemini, url: str) -> None:
    llm = google("gemini", url, fake, key="AIza-wrong-9876543210")
    talk = await converse(llm, [PROBLEM])

    assert [error.category for error in talk.errors] == [ErrorCategory.INVALID_REQUEST]
    assert "API key not valid" in talk.errors[0].error
    assert "AIza-wrong" not in talk.errors[0].error
    assert not llm.is_usable


def test_vertex_credentials_google_refuses_fail_when_the_service_is_built(
    fake: FakeGemini, url: str
) -> None:
    stranger = service_account_json(service_account_key(), f"{url}/token")
    with pytest.raises(RefreshError, match="invalid_grant"):
        google("vertex", url, fake, key=stranger)


def test_vertex_needs_credentials_json_and_says_so_without_echoing_it(
    fake: FakeGemini, url: str
) -> None:
    with pytest.raises(ValueError, match="credentials JSON") as refused:
        google("vertex", url, fake, key="not-json-secret")
    assert "not-json-secret" not in str(refused.value)


@pytest.mark.parametrize(
    "options",
    [
        {"location": "evil.example.com/x#"},  # would steer the token to another host
        {"project": "../../other"},
        {"base_url": "http://evil.example"},
        {"temperature": 3},
    ],
)
def test_vertex_options_cannot_steer_the_endpoint(
    options: dict[str, object], fake: FakeGemini, url: str
) -> None:
    with pytest.raises(ValidationError):
        google("vertex", url, fake, **options)


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize("model", ["../../v1beta/files", "gemini-2.5-flash?alt=json", "a/../b"])
def test_a_model_name_cannot_change_the_request_path(
    name: str, model: str, fake: FakeGemini, url: str
) -> None:
    with pytest.raises(ValueError, match="is not a model name"):
        google(name, url, fake, model=model)


def test_gemini_without_a_key_is_refused(fake: FakeGemini) -> None:
    with pytest.raises(MissingKeyError, match=r"llm:gemini/gemini-2\.5-flash: no API key"):
        google("gemini", None, fake, key="")


@pytest.mark.parametrize("name", PROVIDERS)
async def test_post_call_analysis_answers_in_the_response_schema(
    name: str, fake: FakeGemini, url: str
) -> None:
    llm = google(name, url, fake)
    analysis = await analyze(llm, f"llm:{name}/gemini-2.5-flash")
    await llm.cleanup()

    assert analysis.disposition == "ticket_opened"
    assert analysis.fields == {"category": "conference", "extension": "55", "ticket_id": "12345"}
    assert analysis.summary and analysis.problems == []
    request = next(r for r in fake.requests if r.path.endswith(":generateContent"))
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "ticket_opened" in config["responseJsonSchema"]["properties"]["disposition"]["enum"]
