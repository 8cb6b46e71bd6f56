"""What a bot says about one provider: the only way the live path and the lab name a service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

if TYPE_CHECKING:
    from shared.scenarios.base import Scenario

ProviderKind = Literal["stt", "llm", "tts"]


class ProviderSpec(BaseModel):
    """A provider pinned by a bot: kind, registry name, model and free-form options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ProviderKind
    name: str
    model: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}" + (f"/{self.model}" if self.model else "")


class MissingKeyError(LookupError):
    """A provider that needs a key has none for this tenant."""


@dataclass(frozen=True)
class ProviderAccess:
    """How to reach a provider's vendor for one tenant: its key and, if not the vendor's
    own, its endpoint (from the process's settings, never from the bot's config)."""

    api_key: SecretStr | None = None
    base_url: str | None = None

    def key(self, spec: ProviderSpec) -> str:
        if self.api_key is None:
            raise MissingKeyError(f"{spec.label}: no API key configured")
        return self.api_key.get_secret_value()


@dataclass(frozen=True)
class ProviderContext:
    """What a factory needs to know about the call it builds a service for."""

    sample_rate: int
    language: str = "en"
    scenario: Scenario | None = None
    access: ProviderAccess = field(default_factory=ProviderAccess)
    extra: dict[str, Any] = field(default_factory=dict)
