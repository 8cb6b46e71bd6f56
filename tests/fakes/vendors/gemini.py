"""A fake Gemini API (and Vertex AI) server: the parts of the protocol google-genai speaks.

- Gemini API: ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` and
  ``:generateContent``, the key in ``x-goog-api-key`` (or ``?key=``).
- Vertex AI: the same two methods under ``/v1beta1/projects/{p}/locations/{l}/publishers/
  google/models/{model}``, with an OAuth access token that ``POST /token`` issues for a
  service account's signed JWT (the token URI a service-account JSON names). The fake holds
  the account's public key, so only the matching private key gets a token.

Streamed answers are SSE ``data:`` lines of ``GenerateContentResponse`` JSON: text parts in
pieces, then ``functionCall`` parts, then a chunk with ``finishReason`` and ``usageMetadata``.
``generateContent`` with ``responseJsonSchema`` answers a JSON object in that schema. What to
say comes from :mod:`tests.fakes.vendors.agent`; requests are recorded.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes.vendors import agent

GEMINI_PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>\w+)$")
VERTEX_PATH = re.compile(
    r"^/v1beta1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>\w+)$"
)
CLIENT_EMAIL = "voxcore-test@voxcore-test.iam.gserviceaccount.com"


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


def service_account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_json(
    key: rsa.RSAPrivateKey, token_uri: str, *, project: str = "voxcore-test", key_id: str = "k1"
) -> str:
    """A service-account credentials JSON, as Google issues them, for ``key``."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "token_uri": token_uri,
        }
    )


def conversation(body: dict[str, Any]) -> list[agent.Message]:
    """Gemini ``contents`` (and ``systemInstruction``) as the agent reads them."""
    out: list[agent.Message] = []
    system = body.get("systemInstruction") or {}
    if text := "".join(p.get("text", "") for p in system.get("parts", ())):
        out.append(agent.Message("system", text))
    for content in body.get("contents", ()):
        role = "assistant" if content.get("role") == "model" else "user"
        text, calls = "", []
        for part in content.get("parts", ()):
            if "text" in part:
                text += part["text"]
            elif call := part.get("functionCall"):
                calls.append(agent.ToolCall(call["name"], call.get("args") or {}))
            elif answer := part.get("functionResponse"):
                result = answer.get("response")
                out.append(agent.Message("tool", tool_name=answer["name"], tool_result=result))
        if text or calls:
            out.append(agent.Message(role, text, tuple(calls)))
    return out


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [
        declaration["name"]
        for tool in body.get("tools", ())
        for declaration in tool.get("functionDeclarations", ())
    ]


def _error(status: int, code: str, message: str, reason: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return JSONResponse({"error": error}, status_code=status)


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@dataclass
class FakeGemini:
    """Accepts ``api_key`` on the Gemini paths and tokens for ``account``'s key on Vertex's."""

    api_key: str
    account: rsa.RSAPrivateKey = field(default_factory=service_account_key)
    pieces: int = 3
    requests: list[Recorded] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    def credentials(self, base_url: str, **changes: Any) -> str:
        """The service-account JSON the Vertex provider takes as its key."""
        return service_account_json(self.account, f"{base_url}/token", **changes)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            assertion = str(form.get("assertion", ""))
            grant = {"grant_type": str(form.get("grant_type"))}
            self.requests.append(Recorded("/token", {}, dict(request.headers), grant))
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or (
                not self._signed(assertion)
            ):
                body = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
                return JSONResponse(body, status_code=400)
            issued = f"ya29.{secrets.token_urlsafe(24)}"
            self.tokens.add(issued)
            return JSONResponse(
                {"access_token": issued, "expires_in": 3599, "token_type": "Bearer"}
            )

        @app.post("/{path:path}")
        async def generate(request: Request) -> Response:
            body = await request.json()
            query, headers = dict(request.query_params), dict(request.headers)
            self.requests.append(Recorded(request.url.path, query, headers, body))
            path = request.url.path
            gemini, vertex = GEMINI_PATH.match(path), VERTEX_PATH.match(path)
            match = gemini or vertex
            if match is None or match["method"] not in ("generateContent", "streamGenerateContent"):
                return _error(404, "NOT_FOUND", f"Method not found: {request.url.path}")
            if gemini and self.api_key not in (
                request.headers.get("x-goog-api-key"),
                request.query_params.get("key"),
            ):
                return _error(
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    "API_KEY_INVALID",
                )
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if vertex and bearer not in self.tokens:
                return _error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                    "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                )
            model = match["model"]
            if match["method"] == "generateContent":
                return JSONResponse(self._generate(body, model))
            return StreamingResponse(self._stream(body, model), media_type="text/event-stream")

        return app

    def _signed(self, assertion: str) -> bool:
        """Whether a JWT is RS256-signed by the account's key and claims to be from it."""
        try:
            header, claims, signature = assertion.split(".")
            self.account.public_key().verify(
                _b64(signature),
                f"{header}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            return bool(json.loads(_b64(claims))["iss"] == CLIENT_EMAIL)
        except (ValueError, KeyError, InvalidSignature):
            return False

    def _generate(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        config = body.get("generationConfig") or {}
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        messages = conversation(body)
        if schema is not None:
            transcript = "\n".join(m.text for m in messages)
            parts = [{"text": json.dumps(agent.structured(schema, transcript))}]
        else:
            reply = agent.respond(messages, _tool_names(body))
            parts = _parts(reply)
        return _response(model, parts, "STOP", _usage(body, parts))

    async def _stream(self, body: dict[str, Any], model: str) -> AsyncIterator[bytes]:
        reply = agent.respond(conversation(body), _tool_names(body))
        parts = _parts(reply)
        texts = [p for p in parts if "text" in p]
        calls = [p for p in parts if "functionCall" in p]
        chunks: list[list[dict[str, Any]]] = []
        for part in texts:  # text in pieces, as the model streams it
            words = part["text"].split(" ")
            size = -(-len(words) // self.pieces)
            for start in range(0, len(words), size):
                lead = " " if start else ""
                chunks.append([{"text": lead + " ".join(words[start : start + size])}])
        if calls:
            chunks.append(calls)  # a function call arrives whole, in one part
        chunks = chunks or [[{"text": ""}]]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            data = _response(
                model, chunk, "STOP" if last else None, _usage(body, parts) if last else None
            )
            yield f"data: {json.dumps(data)}\r\n\r\n".encode()


def _parts(reply: agent.Reply) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
    parts += [{"functionCall": {"name": c.name, "args": c.arguments}} for c in reply.tool_calls]
    return parts or [{"text": ""}]


def _usage(body: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, int]:
    prompt = agent.estimate_tokens([body.get("contents"), body.get("tools")])
    output = agent.estimate_tokens(parts)
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output,
    }


def _response(
    model: str, parts: list[dict[str, Any]], finish: str | None, usage: dict[str, int] | None
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    data: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model,
        "responseId": f"r{int(time.time() * 1000)}",
    }
    if usage:
        data["usageMetadata"] = usage
    return data
