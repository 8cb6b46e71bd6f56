"""A fake OpenAI chat-completions server: the parts of the protocol Pipecat's service uses.

``POST /v1/chat/completions`` with a Bearer key. Streaming (``stream: true``) answers Server-Sent
Events the way OpenAI does: a role chunk, content deltas, tool calls whose id and name come
first and whose JSON arguments follow in pieces, a ``finish_reason`` chunk, then (with
``stream_options.include_usage``) a chunk with no choices and the usage, then ``[DONE]``.
Non-streaming requests with ``response_format: json_schema`` (strict) answer a JSON object
in the schema, as ``run_inference(response_schema=...)`` asks. What to say comes from
:mod:`tests.fakes.vendors.agent`; every request is recorded for the tests to inspect.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.fakes.vendors import agent


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _text(content: Any) -> str:
    """A message's content as text: a string, or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def conversation(messages: list[dict[str, Any]]) -> list[agent.Message]:
    """OpenAI chat messages as the agent reads them (tool results named by their call)."""
    names: dict[str, str] = {}
    out: list[agent.Message] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            out.append(agent.Message("system", _text(message.get("content"))))
        elif role == "user":
            out.append(agent.Message("user", _text(message.get("content"))))
        elif role == "assistant":
            calls = []
            for call in message.get("tool_calls") or ():
                function = call["function"]
                names[call["id"]] = function["name"]
                calls.append(agent.ToolCall(function["name"], json.loads(function["arguments"])))
            text = _text(message.get("content"))
            out.append(agent.Message("assistant", text, tuple(calls)))
        elif role == "tool":
            content = _text(message.get("content"))
            try:
                result = json.loads(content)
            except ValueError:
                result = content
            name = names.get(message.get("tool_call_id", ""), "")
            out.append(agent.Message("tool", tool_name=name, tool_result=result))
    return out


def _error(status: int, message: str, kind: str, code: str | None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


@dataclass
class FakeOpenAI:
    """Serves ``app()``; accepts only ``key``. ``pieces`` splits tool-call arguments.

    ``failing``: answer every request with a 500, as an overloaded or broken deployment does
    (for failover drills).
    """

    key: str
    pieces: int = 4
    failing: bool = False
    requests: list[Recorded] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(Recorded(request.url.path, dict(request.headers), body))
            if request.headers.get("authorization") != f"Bearer {self.key}":
                return _error(
                    401,
                    "Incorrect API key provided. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    "invalid_request_error",
                    "invalid_api_key",
                )
            if self.failing:
                return _error(500, "The server had an error while processing your request.",
                              "server_error", None)  # fmt: skip
            if body.get("stream"):
                return StreamingResponse(self._stream(body), media_type="text/event-stream")
            return self._complete(body)

        return app

    def _complete(self, body: dict[str, Any]) -> Response:
        format_ = body.get("response_format") or {}
        if format_.get("type") == "json_schema":
            schema = format_["json_schema"]["schema"]
            if problem := agent.strict_schema_problem(schema):
                return _error(
                    400, f"Invalid schema for response_format 'response': {problem}",
                    "invalid_request_error", None,
                )  # fmt: skip
            transcript = "\n".join(m.text for m in conversation(body["messages"]))
            content = json.dumps(agent.structured(schema, transcript))
        else:
            content = agent.respond(conversation(body["messages"]), _tool_names(body)).text
        usage = _usage(body, content)
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )

    async def _stream(self, body: dict[str, Any]) -> AsyncIterator[bytes]:
        reply = agent.respond(conversation(body["messages"]), _tool_names(body))
        include_usage = (body.get("stream_options") or {}).get("include_usage", False)
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            if include_usage:
                data["usage"] = None
            return f"data: {json.dumps(data)}\n\n".encode()

        yield chunk({"role": "assistant", "content": ""})
        words = reply.text.split(" ") if reply.text else []
        for i, word in enumerate(words):  # content in pieces, as a model streams tokens
            yield chunk({"content": word if i == 0 else f" {word}"})
        for index, call in enumerate(reply.tool_calls):
            head = {"name": call.name, "arguments": ""}
            opening = {"index": index, "id": f"call_{uuid.uuid4().hex[:24]}", "type": "function"}
            yield chunk({"tool_calls": [opening | {"function": head}]})
            arguments = json.dumps(call.arguments)
            size = -(-len(arguments) // self.pieces)
            for start in range(0, len(arguments), size):
                piece = {"arguments": arguments[start : start + size]}
                yield chunk({"tool_calls": [{"index": index, "function": piece}]})
        yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
        if include_usage:
            said = reply.text + "".join(json.dumps(c.arguments) for c in reply.tool_calls)
            data = base | {"choices": [], "usage": _usage(body, said)}
            yield f"data: {json.dumps(data)}\n\n".encode()
        yield b"data: [DONE]\n\n"


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools") or ()]


def _usage(body: dict[str, Any], said: str) -> dict[str, Any]:
    prompt = agent.estimate_tokens([body["messages"], body.get("tools")])
    completion = agent.estimate_tokens(said)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
