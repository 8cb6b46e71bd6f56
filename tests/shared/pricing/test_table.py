"""The price table: every entry sourced and dated, lookups by model then provider, costs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.pricing import PriceTable, price_table
from shared.providers import registry
from shared.results import ProviderUsage


def test_shipped_table_is_versioned_and_sourced() -> None:
    table = price_table()
    assert table.version
    assert table.currency == "USD"
    for price in table.prices:
        assert price.source and price.as_of, price


def test_every_registered_provider_has_a_price() -> None:
    table = price_table()
    for kind in ("stt", "llm", "tts"):
        for name in registry.names(kind):
            assert table.find(kind, name, None) or any(p.provider == name for p in table.prices), (
                f"{kind}:{name} has no entry in prices.yaml"
            )


def test_exact_model_wins_over_the_provider_wildcard() -> None:
    table = price_table()
    flat = table.find("tts", "elevenlabs", "eleven_flash_v2_5")
    exact = table.find("tts", "elevenlabs", "eleven_multilingual_v2")
    assert flat is not None and exact is not None
    assert exact.per_thousand_characters > flat.per_thousand_characters
    assert table.find("llm", "openai", "gpt-unknown") is None


def test_costs_per_unit_and_unpriced_lines() -> None:
    lines, total = price_table().priced(
        [
            ProviderUsage(kind="stt", provider="deepgram", model="nova-3", audio_seconds=90),
            ProviderUsage(
                kind="llm",
                provider="openai",
                model="gpt-4o-mini",
                input_tokens=2_000_000,
                output_tokens=1_000_000,
            ),
            ProviderUsage(kind="tts", provider="elevenlabs", characters=2000),
            ProviderUsage(kind="llm", provider="openai", model="gpt-unknown", input_tokens=5),
        ]
    )
    assert [line.cost_usd for line in lines] == [0.01155, 0.9, 0.1, None]
    assert total == pytest.approx(1.01155)


def test_nothing_priced_is_no_total_not_zero() -> None:
    usage = [ProviderUsage(kind="stt", provider="nobody", audio_seconds=5)]
    assert price_table().priced(usage)[1] is None


def test_a_bad_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "prices.yaml"
    bad.write_text("version: x\nprices:\n  - {kind: stt, provider: p, per_audio_minute: -1}\n")
    with pytest.raises(ValidationError, match="per_audio_minute"):
        PriceTable.load(bad)
