"""Provider keys and endpoints: from the process's secrets, per tenant, never from bot configs.

A bot config may come from the bridge, so it names providers but carries no key and no URL:
a URL in a bot would let whoever edits bots send a tenant's key to a server of their choice.
Keys come from ``VOXCORE_PROVIDER_KEYS`` (``{"acme/openai": ..., "openai": ...}``: the
tenant's own first, then the process-wide one) or the vendor's usual environment variable;
endpoints (an OpenAI-compatible vLLM, a regional host, a test server) from
``VOXCORE_PROVIDER_URLS`` in the same shape.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import SecretStr

from shared.config.bot import KINDS, BotConfig
from shared.providers import registry
from shared.providers.spec import ProviderAccess, ProviderContext, ProviderSpec
from shared.scenarios.base import Scenario
from shared.settings import Settings


class Credentials:
    """Resolves each provider's key and endpoint for a tenant; checks bots when loaded."""

    def __init__(
        self,
        keys: Mapping[str, SecretStr],
        urls: Mapping[str, str],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._keys = keys
        self._urls = urls
        self._environ = os.environ if environ is None else environ

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        return cls(settings.provider_keys, settings.provider_urls)

    def access(self, tenant: str, spec: ProviderSpec) -> ProviderAccess:
        """The tenant's key and endpoint for ``spec``.

        A tenant with an endpoint of its own (its vLLM, say) only ever gets its own key: the
        process-wide key is for the process-wide endpoint, and must not travel to a
        tenant's server.
        """
        own = f"{tenant}/{spec.name}"
        if own in self._urls:
            return ProviderAccess(self._keys.get(own), self._urls[own])
        key = self._keys.get(own) or self._keys.get(spec.name)
        env = registry.key_env(spec)
        if key is None and env and self._environ.get(env):
            key = SecretStr(self._environ[env])
        return ProviderAccess(key, self._urls.get(spec.name))

    def context(
        self, bot: BotConfig, spec: ProviderSpec, sample_rate: int, scenario: Scenario | None
    ) -> ProviderContext:
        """The context a factory builds ``spec``'s service from, for one of ``bot``'s calls."""
        return ProviderContext(
            sample_rate=sample_rate,
            language=bot.language,
            scenario=scenario,
            access=self.access(bot.tenant, spec),
        )

    def missing(self, bot: BotConfig) -> list[str]:
        """One line per provider the bot names that needs a key it has not got."""
        named: list[tuple[str, ProviderSpec]] = []
        for kind in KINDS:
            chain = bot.providers(kind)
            named += [
                (kind if i == 0 else f"fallbacks.{kind}.{i - 1}", spec)
                for i, spec in enumerate(chain)
            ]
        if bot.analysis.provider is not None:
            named.append(("analysis.provider", bot.analysis.provider))
        problems = []
        for where, spec in named:
            env = registry.key_env(spec)
            if env and self.access(bot.tenant, spec).api_key is None:
                problems.append(
                    f"{where}: provider {spec.name!r} needs an API key: set {env} or "
                    f'VOXCORE_PROVIDER_KEYS["{bot.tenant}/{spec.name}"]'
                )
        return problems

    def check(self, bot: BotConfig) -> None:
        """Refuse a bot whose providers cannot be reached, when it is loaded, not mid-call."""
        if problems := self.missing(bot):
            raise ValueError("; ".join(problems))
