"""``find``: the message under an idempotency key, in every backend (a handoff watches its own)."""

from __future__ import annotations

from typing import Any

T0 = 1_000_000.0


def test_find_follows_a_message_by_its_key(any_store: Any) -> None:
    assert any_store.find("handoff:h1") is None
    any_store.enqueue("handoff", "handoff:h1", {"to": "agent"}, now=T0)
    any_store.enqueue("handoff", "handoff:h2", {"to": "desk"}, now=T0)
    found = any_store.find("handoff:h1")
    assert (found.kind, found.payload, found.state) == ("handoff", {"to": "agent"}, "pending")
    [claimed] = [m for m in any_store.claim_due(T0, 10) if m.idempotency_key == "handoff:h1"]
    any_store.mark_dead(claimed.id, "HTTP 422")
    assert any_store.find("handoff:h1").state == "dead"
    assert any_store.find("handoff:h2").state == "delivering"
