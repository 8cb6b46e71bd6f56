"""The delivery loop: claim due messages, hand them to a sink, record what happened.

Delivery is at-least-once: a crash between the sink's success and ``mark_delivered`` means
the lease expires and the message is sent again, so the receiver dedupes by idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

from loguru import logger

from shared.outbox.base import OutboxStore
from shared.outbox.sinks import DeliveryError, Sink
from shared.outbox.store import OutboxMessage


@dataclass
class OutboxWorker:
    """Retries with capped exponential backoff and jitter; gives up on a message (dead) when
    the receiver refuses it for good or it has been failing for longer than ``max_age_s``."""

    store: OutboxStore
    sink: Sink
    max_age_s: float = 86400
    base_delay_s: float = 1
    max_delay_s: float = 300
    jitter: float = 0.2
    batch: int = 20
    poll_s: float = 0.5
    lease_s: float = 60
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction of the delay, between 0 and 1")

    def retry_delay(self, attempts: int) -> float:
        """``min(max, base * 2**(attempts-1))``, less a random share of up to ``jitter`` of it.

        ``jitter=1`` is AWS-style full jitter (uniform in [0, cap]); the default 0.2 keeps the
        schedule readable while still spreading a burst of failures apart.
        """
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** max(attempts - 1, 0))
        return cap * (1 - self.jitter * self.rng.random())

    async def run_once(self, now: float | None = None) -> int:
        """One pass over what is due; returns how many messages it tried."""
        at = time.time() if now is None else now
        messages = await asyncio.to_thread(
            self.store.claim_due, at, self.batch, lease_s=self.lease_s
        )
        await asyncio.gather(*(self._deliver(message, at) for message in messages))
        return len(messages)

    async def _deliver(self, message: OutboxMessage, now: float) -> None:
        try:
            await self.sink.deliver(message)
        except DeliveryError as exc:
            await self._failed(message, now, exc.reason, exc.retryable)
        except Exception as exc:  # a sink bug must not kill the loop; its text may hold data
            await self._failed(message, now, type(exc).__name__, True)
        else:
            await asyncio.to_thread(self.store.mark_delivered, message.id)

    async def _failed(
        self, message: OutboxMessage, now: float, error: str, retryable: bool
    ) -> None:
        too_old = now - message.age_from > self.max_age_s
        if retryable and not too_old:
            retry_at = now + self.retry_delay(message.attempts)
            outcome = f"retry in {retry_at - now:.1f}s"
            await asyncio.to_thread(self.store.mark_failed, message.id, error, retry_at)
        else:
            outcome = "dead (not retryable)" if not retryable else "dead (max age)"
            await asyncio.to_thread(self.store.mark_dead, message.id, error)
        logger.warning(
            "outbox delivery failed: id={} kind={} attempt={} error={} -> {}",
            message.id,
            message.kind,
            message.attempts,
            error,
            outcome,
        )

    async def run_forever(self, stop_event: asyncio.Event) -> None:
        """Deliver until ``stop_event`` is set; a full batch means more may be due now."""
        while not stop_event.is_set():
            try:
                tried = await self.run_once()
            except Exception as exc:  # a locked or full disk: keep the loop, try again later
                logger.error("outbox pass failed: {}", type(exc).__name__)
                tried = 0
            if tried >= self.batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=self.poll_s)
