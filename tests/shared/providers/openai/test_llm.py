"""``openai`` against a fake chat-completions server on 127.0.0.1, inside a real Pipecat pipeline.

The fake speaks OpenAI's wire protocol (SSE chunks, tool calls streamed in pieces, a usage
chunk, JSON-schema answers, 401 for a wrong key); what it says comes from a scripted agent, so
these tests prove what VoxCore configures and what Pipecat's service makes of the answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.utils.errors import ErrorCategory
from pydantic import SecretStr, ValidationError

from shared.providers import registry
from shared.providers.openai.llm import NO_AUTH_KEY, OpenAILLMService
from shared.providers.spec import MissingKeyError, ProviderAccess, ProviderContext, ProviderSpec
from tests.fakes.server import serving
from tests.fakes.vendors.openai import FakeOpenAI
from tests.shared.providers.openai.conversation import analyze, converse

KEY = "sk-test-0123456789"
PROBLEM = "The conference is currently locked and cannot be joined."


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(key=KEY)
    with serving(fake.app()) as url:
        yield fake, f"{url}/v1"


@pytest.fixture
def fake(server: tuple[FakeOpenAI, str]) -> FakeOpenAI:
    server[0].requests.clear()
    return server[0]


@pytest.fixture
def url(server: tuple[FakeOpenAI, str]) -> str:
    return server[1]


def openai(
    url: str | None, key: str | None = KEY, model: str | None = "gpt-4o-mini", **options: object
) -> OpenAILLMService:
    spec = ProviderSpec(kind="llm", name="openai", model=model, options=options)
    access = ProviderAccess(SecretStr(key) if key else None, url)
    service = registry.create(spec, ProviderContext(sample_rate=8000, access=access))
    assert isinstance(service, OpenAILLMService)
    return service


async def test_a_ticket_call_streams_replies_and_assembles_tool_calls(
    fake: FakeOpenAI, url: str
) -> None:
    talk = await converse(openai(url), [PROBLEM, "Five, five.", "That's all, goodbye."])

    assert talk.errors == []
    ticket = {"category": "conference", "extension": "55", "summary": PROBLEM}
    assert talk.tool_calls == [
        ("open_ticket", ticket),
        ("end_call", {"reason": "caller said goodbye"}),
    ]
    ticket_id = talk.tool_results[0]["ticket_id"]
    assert talk.replies == [
        "I'm sorry to hear that. What's your extension number?",
        "",  # the tool call alone
        f"I've opened ticket {ticket_id} for the conference problem on extension 55. "
        "A technician will call you back within four business hours.",
        "Thanks for calling Acme Voice. Goodbye!",
    ]
    # The tool call's arguments came in pieces; the next request carried the call and result.
    assert fake.pieces > 1
    sent = fake.requests[2].body["messages"]
    call = next(m for m in sent if m.get("tool_calls"))["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == ticket
    answer = next(m for m in sent if m["role"] == "tool")
    assert answer["tool_call_id"] == call["id"]
    assert json.loads(answer["content"])["ticket_id"] == ticket_id


async def test_every_response_reports_tokens_and_time_to_first_byte(
    fake: FakeOpenAI, url: str
) -> None:
    talk = await converse(openai(url), [PROBLEM, "55"])

    usage = talk.usage()
    assert len(usage) == len(fake.requests) == 3  # ask, tool call, read back
    for line in usage:
        assert line.processor.startswith("OpenAILLMService#")
        assert line.model == "gpt-4o-mini"
        assert line.value.prompt_tokens > 0 and line.value.completion_tokens > 0
    assert len(talk.ttfb()) == 3


async def test_the_request_carries_model_options_tools_and_include_usage(
    fake: FakeOpenAI, url: str
) -> None:
    await converse(openai(url, temperature=0.2, max_completion_tokens=150, seed=7), [PROBLEM])

    request = fake.requests[0]
    assert request.path == "/v1/chat/completions"  # the tenant's endpoint, honoured
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert (body["temperature"], body["max_completion_tokens"], body["seed"]) == (0.2, 150, 7)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    tools = [tool["function"]["name"] for tool in body["tools"]]
    assert tools == ["get_order_status", "open_ticket", "end_call"]
    assert "top_p" not in body  # options the bot did not set are not sent


def test_the_model_defaults_to_gpt_4o_mini(url: str) -> None:
    assert openai(url, model=None)._settings.model == "gpt-4o-mini"


async def test_a_wrong_key_is_a_permanent_authentication_error(fake: FakeOpenAI, url: str) -> None:
    wrong = "sk-wrong-9876543210"
    llm = openai(url, key=wrong)
    talk = await converse(llm, [PROBLEM])

    assert [error.category for error in talk.errors] == [ErrorCategory.AUTHENTICATION]
    message = talk.errors[0].error
    assert "401" in message and "Incorrect API key" in message
    assert wrong not in message
    assert not llm.is_usable  # the session ends such a call instead of going on deaf
    assert talk.replies == [""]


async def test_a_self_hosted_endpoint_without_a_key_gets_a_placeholder() -> None:
    fake = FakeOpenAI(key=NO_AUTH_KEY)  # what vLLM or Ollama would ignore
    with serving(fake.app()) as url:
        talk = await converse(openai(f"{url}/v1", key=None), [PROBLEM])
    assert talk.errors == [] and talk.replies[0].endswith("extension number?")


def test_without_a_key_or_an_endpoint_the_service_is_refused() -> None:
    with pytest.raises(MissingKeyError, match="llm:openai/gpt-4o-mini: no API key"):
        openai(None, key=None)


@pytest.mark.parametrize(
    "options", [{"base_url": "http://evil.example"}, {"api_key": "x"}, {"temperature": 5}]
)
def test_options_are_sampling_only(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        openai(None, **options)


async def test_post_call_analysis_answers_in_the_strict_response_schema(
    fake: FakeOpenAI, url: str
) -> None:
    llm = openai(url)
    analysis = await analyze(llm, "llm:openai/gpt-4o-mini")
    await llm.cleanup()

    assert analysis.disposition == "ticket_opened"
    assert analysis.fields == {"category": "conference", "extension": "55", "ticket_id": "12345"}
    assert analysis.summary and analysis.problems == []
    body = fake.requests[0].body
    assert body["stream"] is False
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    labels = response_format["json_schema"]["schema"]["properties"]["disposition"]["enum"]
    assert "ticket_opened" in labels


async def test_run_inference_reports_the_server_refusing_a_schema(url: str) -> None:
    llm = openai(url)
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    context = LLMContext(messages=[{"role": "user", "content": "Hi."}])
    with pytest.raises(Exception, match="additionalProperties"):
        await llm.run_inference(context, system_instruction="Answer.", response_schema=loose)
    await llm.cleanup()
