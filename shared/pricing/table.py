"""The price table (``prices.yaml``): per audio minute, per 1M tokens, per 1k characters.

Lookups try the exact model first, then the provider's ``"*"`` entry, so a new model of a
provider billed flat (per minute of STT) is costed without an edit, and one billed per model
(LLMs) shows up as unpriced rather than at a wrong price.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.providers.spec import ProviderKind
from shared.results import ProviderUsage

PRICES = Path(__file__).with_name("prices.yaml")
ANY_MODEL = "*"


class Price(BaseModel):
    """One provider's (and model's) list price, with where and when it was read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ProviderKind
    provider: str
    model: str = ANY_MODEL
    per_audio_minute: float = Field(0.0, ge=0)
    per_million_input_tokens: float = Field(0.0, ge=0)
    per_million_output_tokens: float = Field(0.0, ge=0)
    per_thousand_characters: float = Field(0.0, ge=0)
    source: str
    as_of: str

    def cost(self, usage: ProviderUsage) -> float:
        return (
            usage.audio_seconds / 60 * self.per_audio_minute
            + usage.input_tokens / 1e6 * self.per_million_input_tokens
            + usage.output_tokens / 1e6 * self.per_million_output_tokens
            + usage.characters / 1e3 * self.per_thousand_characters
        )


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    currency: str = "USD"
    notes: str = ""
    prices: tuple[Price, ...]

    @classmethod
    def load(cls, path: Path) -> PriceTable:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))

    def find(self, kind: ProviderKind, provider: str, model: str | None) -> Price | None:
        candidates = {(p.kind, p.provider, p.model): p for p in self.prices}
        exact = candidates.get((kind, provider, model or ANY_MODEL))
        return exact or candidates.get((kind, provider, ANY_MODEL))

    def priced(self, usage: list[ProviderUsage]) -> tuple[list[ProviderUsage], float | None]:
        """Each usage line with its cost, and the total (None when nothing could be priced)."""
        lines: list[ProviderUsage] = []
        total: float | None = None
        for line in usage:
            price = self.find(line.kind, line.provider, line.model)
            cost = round(price.cost(line), 6) if price else None
            lines.append(line.model_copy(update={"cost_usd": cost}))
            if cost is not None:
                total = (total or 0.0) + cost
        return lines, None if total is None else round(total, 6)


@cache
def price_table(path: Path = PRICES) -> PriceTable:
    """The table shipped with this release, parsed once per process."""
    return PriceTable.load(path)
