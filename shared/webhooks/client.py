"""Calls one webhook tool: resolve and vet the address, send, and read a bounded JSON answer.

The request goes to the vetted IP with the original ``Host`` header and TLS server name, and
redirects are not followed (a redirect could point anywhere). Connections are not kept: a
pool keyed by IP would reuse a TLS session verified for one host name for another host on
the same address. Failures become a
:class:`WebhookError` whose message is safe to show the LLM and the logs: it never carries a
header value.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from shared.config.webhooks import WebhookTool
from shared.webhooks.egress import BlockedDestinationError, EgressPolicy

MAX_RESPONSE_BYTES = 64 * 1024


class WebhookError(RuntimeError):
    """The webhook could not be called or did not answer with a JSON object in time."""


class WebhookClient:
    """One per process: the egress policy, the tool secrets and the HTTP client."""

    def __init__(
        self,
        policy: EgressPolicy,
        secrets: Mapping[str, SecretStr],
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.policy = policy
        self._secrets = secrets
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            verify=verify,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def _headers(self, tool: WebhookTool, host: str) -> dict[str, str]:
        headers = {**tool.headers, "Host": host, "User-Agent": "voxcore-webhook/1"}
        for header, secret_name in tool.secret_headers.items():
            secret = self._secrets.get(secret_name)
            if secret is None:
                raise WebhookError(f"{tool.name}: secret {secret_name!r} is not configured")
            headers[header] = secret.get_secret_value()
        return headers

    async def call(
        self, tool: WebhookTool, arguments: Mapping[str, Any], call: Mapping[str, Any]
    ) -> dict[str, Any]:
        """POST ``{tool, arguments, call}`` (or GET with the arguments as query parameters)."""
        url = httpx.URL(str(tool.url))
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            async with asyncio.timeout(tool.timeout_s):
                address = await self.policy.resolve(url.host, port)
                request = self._client.build_request(
                    tool.method,
                    url.copy_with(host=str(address)),
                    headers=self._headers(tool, url.netloc.decode("ascii")),
                    params=dict(arguments) if tool.method == "GET" else None,
                    json=None
                    if tool.method == "GET"
                    else {"tool": tool.name, "arguments": dict(arguments), "call": dict(call)},
                    timeout=tool.timeout_s,
                    extensions={"sni_hostname": url.host} if url.scheme == "https" else None,
                )
                response = await self._client.send(request, stream=True)
                try:
                    body = await _read_bounded(response)
                finally:
                    await response.aclose()
        except BlockedDestinationError as error:
            raise WebhookError(f"{tool.name}: {error}") from None
        except TimeoutError:
            raise WebhookError(f"{tool.name}: no answer within {tool.timeout_s} s") from None
        except httpx.HTTPError as error:
            raise WebhookError(f"{tool.name}: {type(error).__name__}") from None
        if not response.is_success:
            raise WebhookError(f"{tool.name}: HTTP {response.status_code}")
        try:
            answer = json.loads(body)
        except ValueError:
            raise WebhookError(f"{tool.name}: the answer is not JSON") from None
        return answer if isinstance(answer, dict) else {"result": answer}


async def _read_bounded(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise WebhookError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
    return bytes(body)
