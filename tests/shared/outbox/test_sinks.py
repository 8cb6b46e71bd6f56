"""Sinks: the signature a bridge checks, the status mapping, and a secret that never leaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger
from pydantic import SecretStr

from lab.local_server import free_port
from shared.outbox import (
    DeliveryError,
    HttpSink,
    JsonlSink,
    OutboxMessage,
    OutboxWorker,
    SqliteOutbox,
    sign,
    verify_signature,
)
from tests.shared.outbox.endpoint import SECRET, Endpoint

PII = "caller-said-4111-1111"


def message(key: str = "call_result:c1", payload: dict[str, object] | None = None) -> OutboxMessage:
    return OutboxMessage(
        id=1, kind="call_result", idempotency_key=key, payload=payload or {"text": PII},
        created_at=0.0, attempts=1, next_attempt_at=0.0, last_error=None, state="delivering",
    )  # fmt: skip


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logger.add(lambda m: lines.append(str(m)), level="DEBUG")
    yield lines
    logger.remove(handler)


def test_verify_signature_recipe() -> None:
    body = b'{"call_id":"c1"}'
    signature = sign(SecretStr("k"), 1700000000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature("k", "1700000000", body, signature, now=1700000100)
    assert not verify_signature("k", "1700000000", body, signature, now=1700000301)  # stale
    assert not verify_signature("k", "1700000000", body, signature, now=1699999699)  # future
    assert not verify_signature("other", "1700000000", body, signature, now=1700000000)
    assert not verify_signature("k", "1700000000", body + b" ", signature, now=1700000000)
    assert not verify_signature("k", "1700000001", body, signature, now=1700000000)
    assert not verify_signature("k", "soon", body, signature, now=1700000000)


async def test_http_sink_signs_what_it_sends(endpoint: Endpoint) -> None:
    sink = HttpSink(endpoint.url, SecretStr(SECRET), timeout=5)
    await sink.deliver(message())
    await sink.aclose()
    headers = endpoint.last_headers
    assert headers["idempotency-key"] == "call_result:c1"
    assert headers["x-voxcore-kind"] == "call_result"
    assert verify_signature(
        SECRET, headers["x-voxcore-timestamp"], endpoint.last_body, headers["x-voxcore-signature"]
    )
    assert json.loads(endpoint.last_body) == {"text": PII}
    assert endpoint.bad_signatures == 0 and list(endpoint.stored) == ["call_result:c1"]


async def test_wrong_secret_is_refused_and_dead(endpoint: Endpoint) -> None:
    sink = HttpSink(endpoint.url, SecretStr("not-the-secret"), timeout=5)
    with pytest.raises(DeliveryError) as failure:
        await sink.deliver(message())
    await sink.aclose()
    assert (failure.value.reason, failure.value.retryable) == ("HTTP 401", False)
    assert endpoint.bad_signatures == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, None), (201, None), (204, None), (409, None)]
    + [(s, True) for s in (408, 425, 429, 500, 502, 503, 504)]
    + [(s, False) for s in (400, 401, 403, 404, 410, 413, 422)],
)
async def test_status_mapping(endpoint: Endpoint, status: int, outcome: bool | None) -> None:
    sink = HttpSink(endpoint.url.replace("/results", f"/status/{status}"), SecretStr("x"))
    try:
        await sink.deliver(message())
    except DeliveryError as exc:
        assert (exc.reason, exc.retryable) == (f"HTTP {status}", outcome)
    else:
        assert outcome is None
    finally:
        await sink.aclose()


async def test_connection_refused_and_timeout_are_retryable(endpoint: Endpoint) -> None:
    refused = HttpSink(f"http://127.0.0.1:{free_port()}/results", SecretStr("x"), timeout=2)
    with pytest.raises(DeliveryError) as failure:
        await refused.deliver(message())
    assert failure.value.retryable and failure.value.reason == "ConnectError"
    endpoint.behaviour.hang_first, endpoint.behaviour.hang_s = 1, 1.0
    slow = HttpSink(endpoint.url, SecretStr(SECRET), timeout=0.2)
    with pytest.raises(DeliveryError) as failure:
        await slow.deliver(message())
    assert failure.value.retryable and failure.value.reason == "ReadTimeout"
    await refused.aclose()
    await slow.aclose()


async def test_secret_and_payload_never_reach_errors_or_logs(
    endpoint: Endpoint, store: SqliteOutbox, logs: list[str]
) -> None:
    secret = SECRET  # the endpoint must accept the signature to reach its 500
    endpoint.behaviour.status = 500
    sinks = [
        HttpSink(endpoint.url, SecretStr(secret), timeout=2),
        HttpSink(f"http://127.0.0.1:{free_port()}/r", SecretStr(secret), timeout=2),
    ]
    for i, sink in enumerate(sinks):
        store.enqueue("call_result", f"k{i}", {"text": PII})
        with pytest.raises(DeliveryError) as failure:
            await sink.deliver(message())
        text = f"{failure.value!s} {failure.value!r} {sink!r} {vars(sink)!s}"
        assert secret not in text and PII not in text
        await OutboxWorker(store, sink).run_once()
        await sink.aclose()
    assert len(logs) == 2 and "error=HTTP 500" in logs[0]
    assert "error=ConnectError" in logs[1] and "kind=call_result attempt=1" in logs[1]
    assert not any(secret in line or PII in line for line in logs)
    assert [m.last_error for m in store.list("pending")] == ["HTTP 500", "ConnectError"]


async def test_jsonl_sink_appends_one_line_per_message(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "var" / "results.jsonl")
    await sink.deliver(message("a", {"n": 1}))
    await sink.deliver(message("b", {"n": 2}))
    lines = [json.loads(x) for x in sink.path.read_text().splitlines()]
    assert lines == [
        {"kind": "call_result", "idempotency_key": "a", "payload": {"n": 1}},
        {"kind": "call_result", "idempotency_key": "b", "payload": {"n": 2}},
    ]
