"""Webhook tools against a real HTTP server on 127.0.0.1: what is sent, and every way it fails."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trustme
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import SecretStr

from lab.local_server import free_port
from shared.config.webhooks import WebhookTool
from shared.webhooks import EgressPolicy, WebhookClient, WebhookError
from tests.fakes.server import serving

CANARY = "Bearer canary-crm-4411"
CALL = {"call_id": "c1", "bot_id": "support-desk", "tenant": "demo", "from": "+1555", "to": "+1"}


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/ticket")
    async def ticket(request: Request) -> JSONResponse:
        seen.append({"headers": dict(request.headers), "body": await request.json()})
        return JSONResponse({"ticket_id": "T-77", "status": "opened"})

    @app.get("/lookup")
    async def lookup(request: Request) -> JSONResponse:
        seen.append({"headers": dict(request.headers), "query": dict(request.query_params)})
        return JSONResponse(["a", "b"])

    @app.post("/slow")
    async def slow() -> JSONResponse:
        await asyncio.sleep(2)
        return JSONResponse({})

    @app.post("/error")
    async def error() -> JSONResponse:
        return JSONResponse({"detail": "down"}, status_code=500)

    @app.post("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.post("/big")
    async def big() -> PlainTextResponse:
        return PlainTextResponse("x" * 100_000)

    @app.post("/redirect")
    async def redirect() -> RedirectResponse:
        return RedirectResponse("http://169.254.169.254/latest/meta-data/", status_code=302)

    with serving(app) as url:
        yield url, seen


@pytest.fixture
async def client() -> AsyncIterator[WebhookClient]:
    made = WebhookClient(
        EgressPolicy.from_strings(False, ["127.0.0.0/8"]), {"crm": SecretStr(CANARY)}
    )
    yield made
    await made.aclose()


def tool(url: str, path: str, **changes: Any) -> WebhookTool:
    return WebhookTool.model_validate({"name": "open_ticket", "url": url + path} | changes)


async def test_post_sends_tool_arguments_call_and_secret_header(
    backend: tuple[str, list[dict[str, Any]]], client: WebhookClient
) -> None:
    url, seen = backend
    webhook = tool(url, "/ticket", secret_headers={"Authorization": "crm"}, headers={"X-Env": "t"})
    answer = await client.call(webhook, {"product": "conference"}, CALL)
    assert answer == {"ticket_id": "T-77", "status": "opened"}
    request = seen[-1]
    assert request["body"] == {
        "tool": "open_ticket",
        "arguments": {"product": "conference"},
        "call": CALL,
    }
    assert request["headers"]["authorization"] == CANARY
    assert request["headers"]["x-env"] == "t"
    assert request["headers"]["host"] == url.removeprefix("http://")


async def test_get_sends_arguments_as_query_and_wraps_non_objects(
    backend: tuple[str, list[dict[str, Any]]], client: WebhookClient
) -> None:
    url, seen = backend
    answer = await client.call(tool(url, "/lookup", method="GET"), {"order": "55"}, CALL)
    assert answer == {"result": ["a", "b"]}
    assert seen[-1]["query"] == {"order": "55"}


async def test_private_addresses_are_refused_before_any_request(
    backend: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = backend
    before = len(seen)
    strict = WebhookClient(EgressPolicy(), {})
    try:
        with pytest.raises(WebhookError, match=r"127\.0\.0\.1 resolves to a non-public"):
            await strict.call(tool(url, "/ticket"), {}, CALL)
        with pytest.raises(WebhookError, match="localhost resolves to a non-public"):
            await strict.call(tool(url.replace("127.0.0.1", "localhost"), "/ticket"), {}, CALL)
    finally:
        await strict.aclose()
    assert len(seen) == before


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/error", "HTTP 500"),
        ("/text", "not JSON"),
        ("/big", "larger than"),
        ("/redirect", "HTTP 302"),  # never followed: it could point anywhere
        ("/slow", "no answer within 0.3 s"),
        ("/missing", "HTTP 404"),
    ],
)
async def test_failures_are_clear_errors(
    backend: tuple[str, list[dict[str, Any]]], client: WebhookClient, path: str, problem: str
) -> None:
    url, _ = backend
    with pytest.raises(WebhookError, match=problem):
        await client.call(tool(url, path, timeout_s=0.3), {}, CALL)


async def test_a_missing_secret_fails_the_tool_not_the_process(
    backend: tuple[str, list[dict[str, Any]]], client: WebhookClient
) -> None:
    url, _ = backend
    webhook = tool(url, "/ticket", secret_headers={"Authorization": "billing"})
    with pytest.raises(WebhookError, match="secret 'billing' is not configured") as caught:
        await client.call(webhook, {}, CALL)
    assert CANARY not in str(caught.value)


async def test_connection_refused_is_a_clear_error(client: WebhookClient) -> None:
    webhook = tool(f"http://127.0.0.1:{free_port()}", "/ticket")
    with pytest.raises(WebhookError, match="ConnectError"):
        await client.call(webhook, {}, CALL)


async def test_https_goes_to_the_vetted_address_and_verifies_the_name(
    tmp_path: Any,
) -> None:
    """The request is pinned to the resolved IP, yet TLS still checks the URL's host name."""
    authority = trustme.CA()
    certificate = authority.issue_cert("localhost")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.cert_chain_pems[0].write_to_path(cert)
    certificate.private_key_pem.write_to_path(key)
    app = FastAPI()

    @app.post("/ticket")
    async def ticket() -> JSONResponse:
        return JSONResponse({"ok": True})

    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)
    policy = EgressPolicy.from_strings(False, ["127.0.0.0/8", "::1/128"])
    with serving(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as url:
        by_name = url.replace("127.0.0.1", "localhost")
        client = WebhookClient(policy, {}, verify=trusted)
        try:
            assert await client.call(tool(by_name, "/ticket"), {}, CALL) == {"ok": True}
            # The certificate names localhost, not the address: by address it must fail.
            with pytest.raises(WebhookError, match="ConnectError"):
                await client.call(tool(url, "/ticket"), {}, CALL)
        finally:
            await client.aclose()
