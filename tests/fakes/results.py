"""The receiving end of result delivery, as ``docs/results-delivery.md`` asks a bridge to be.

Verify the signature on the raw body, store each ``Idempotency-Key`` once, answer 200 to a
repeat. Knobs make it fail, hang or dawdle. Mounted by the outbox fault tests' endpoint and by
the fake bridge (``POST /v1/call-results``) that a real server delivers to.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from shared.outbox import verify_signature

SECRET = "test-bridge-secret-7f3a"


@dataclass
class Behaviour:
    fail_first: int = 0  # answer 500 to this many POSTs (before recording them)
    hang_first: int = 0  # sleep hang_s on this many POSTs (before recording them)
    hang_s: float = 0.0
    delay_s: float = 0.0  # after recording: the bridge committed, the ack is slow
    status: int | None = None  # answer every POST with this status, recording nothing


@dataclass
class ResultsInbox:
    """Signed POSTs in, each key stored once; set ``behaviour`` from any thread."""

    secret: str = SECRET
    behaviour: Behaviour = field(default_factory=Behaviour)
    posts: list[str] = field(default_factory=list)  # every recorded POST's key, in order
    stored: dict[str, Any] = field(default_factory=dict)  # key -> payload, deduped
    refused: list[str] = field(default_factory=list)  # keys of signed POSTs not recorded
    bad_signatures: int = 0
    last_headers: dict[str, str] = field(default_factory=dict)
    last_body: bytes = b""

    @property
    def duplicates(self) -> int:
        return len(self.posts) - len(self.stored)

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        self.last_headers, self.last_body = dict(request.headers), body
        ok = verify_signature(
            self.secret,
            request.headers.get("x-voxcore-timestamp", ""),
            body,
            request.headers.get("x-voxcore-signature", ""),
        )
        if not ok:
            self.bad_signatures += 1
            return Response(status_code=401)
        key = request.headers.get("idempotency-key", "")
        b = self.behaviour
        if b.status is not None:
            self.refused.append(key)
            return Response(status_code=b.status)
        if b.fail_first > 0:
            b.fail_first -= 1
            self.refused.append(key)
            return Response(status_code=500)
        if b.hang_first > 0:
            b.hang_first -= 1
            await asyncio.sleep(b.hang_s)
            self.refused.append(key)
            return Response(status_code=503)
        self.posts.append(key)
        self.stored.setdefault(key, await request.json())
        if b.delay_s:
            await asyncio.sleep(b.delay_s)
        return Response(status_code=200)
