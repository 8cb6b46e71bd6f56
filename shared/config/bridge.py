"""Bot configs from the bridge (the config API that owns bots), cached so calls survive blips.

Decisions:
- A fresh entry (younger than ``ttl_s``) is served without a request.
- The bridge down (refused, timeout, 5xx, or any answer but 200/404, such as 401 or 429):
  the last good config fetched within ``stale_if_error_s`` is served with a warning, so a call
  still starts; with none, ``BridgeUnavailableError`` says why.
- 404: ``BotNotFoundError``; the bot's cached copies are dropped (a deleted bot must stop
  working, even while the bridge later errs).
- A body that fails validation: ``BotConfigError`` naming bot, field and problem. The new config
  is refused but the last valid one is served (with a warning) until its stale window ends, so
  a bad edit on the bridge does not take a live bot down.
- Every failure is remembered for ``failure_ttl_s`` (5 s): callers then get the stale copy or the
  same error without a request, which protects a struggling bridge and a call from waiting on
  a hung one. Concurrent lookups of one key share one request.
- The token is only ever put in the Authorization header: never logged, never in an error.
"""

from __future__ import annotations

from collections.abc import Hashable
from urllib.parse import quote

import httpx
from loguru import logger
from pydantic import SecretStr, ValidationError

from shared.config.bot import BOT_ID, BotConfig, normalize_number
from shared.config.cache import RemoteCache
from shared.config.source import (
    BotCheck,
    BotConfigError,
    BotNotFoundError,
    checked,
    describe_validation_error,
)


class BridgeUnavailableError(LookupError):
    """The bridge cannot answer and no recent copy of the bot is cached: the call is refused."""


class _BridgeDown(Exception):
    """The bridge did not answer usefully; the reason never holds the token."""


class BridgeBotSource:
    """``BotConfig`` by id or dialled number from the bridge's REST API. Use from one loop."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr | None,
        *,
        timeout_s: float = 2.0,
        ttl_s: float = 30.0,
        stale_if_error_s: float = 3600.0,
        failure_ttl_s: float = 5.0,
        client: httpx.AsyncClient | None = None,
        check: BotCheck | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._check = check
        self._token = token
        self._timeout_s = timeout_s
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()
        self._cache: RemoteCache[BotConfig] = RemoteCache(ttl_s, stale_if_error_s, failure_ttl_s)

    async def by_id(self, bot_id: str) -> BotConfig:
        if not BOT_ID.match(bot_id):
            raise BotNotFoundError(f"unknown bot {bot_id!r}: not a valid bot id")
        path = f"/v1/bots/{quote(bot_id, safe='')}"
        return await self._lookup(("id", bot_id), path, f"bot {bot_id!r}", expect_id=bot_id)

    async def by_number(self, dialled: str) -> BotConfig:
        digits = normalize_number(dialled)
        if not digits:
            raise BotNotFoundError(f"no bot is assigned to the dialled number {dialled!r}")
        path = f"/v1/numbers/{digits}/bot"
        return await self._lookup(("number", digits), path, f"the bot for number {digits!r}")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _lookup(
        self, key: Hashable, path: str, what: str, expect_id: str | None = None
    ) -> BotConfig:
        fresh = self._cache.fresh(key)
        if fresh is not None:
            return fresh
        failure = self._cache.recent_failure(key)
        if failure is not None:
            return self._fallback(key, what, failure)
        return await self._cache.single_flight(
            key, lambda: self._refresh(key, path, what, expect_id)
        )

    async def _refresh(
        self, key: Hashable, path: str, what: str, expect_id: str | None
    ) -> BotConfig:
        try:
            bot = await self._fetch(path, what, expect_id)
        except BotNotFoundError as error:
            self._forget(key, expect_id)
            self._cache.fail(key, error)
            raise
        except (_BridgeDown, BotConfigError) as error:
            self._cache.fail(key, error)
            return self._fallback(key, what, error)
        self._cache.put(key, bot)
        return bot

    def _fallback(self, key: Hashable, what: str, error: Exception) -> BotConfig:
        """Serve the last good copy within the stale window, or raise a fresh, clear error."""
        entry = self._cache.entry(key)
        if isinstance(error, BotNotFoundError):
            raise BotNotFoundError(str(error))
        if entry is not None and self._cache.age(entry) <= self._cache.stale_s:
            age = self._cache.age(entry)
            logger.warning(
                f"serving stale config for bot {entry.value.id!r}, age {age:.0f} s: {error}"
            )
            return entry.value
        if isinstance(error, BotConfigError):
            raise BotConfigError(str(error))
        if entry is None:
            raise BridgeUnavailableError(f"bridge unreachable and {what} never fetched ({error})")
        raise BridgeUnavailableError(
            f"bridge unreachable and {what} was last fetched {self._cache.age(entry):.0f} s ago,"
            f" beyond the {self._cache.stale_s:.0f} s stale limit ({error})"
        )

    def _forget(self, key: Hashable, bot_id: str | None) -> None:
        """A 404 by id drops every copy of that bot; by number, only that number's copy."""
        self._cache.forget(key)
        if bot_id is not None:
            for other, entry in self._cache.items():
                if entry.value.id == bot_id:
                    self._cache.forget(other)

    async def _fetch(self, path: str, what: str, expect_id: str | None) -> BotConfig:
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        try:
            response = await self._client.get(
                self._base + path, headers=headers, timeout=self._timeout_s
            )
        except httpx.TimeoutException as error:
            raise _BridgeDown(f"no answer within {self._timeout_s:g} s") from error
        except httpx.TransportError as error:
            raise _BridgeDown(f"{type(error).__name__}: {error}") from error
        if response.status_code == 404:
            raise BotNotFoundError(f"the bridge has no {what} (404 from {path})")
        if response.status_code != 200:
            if response.status_code in (401, 403):
                logger.error(f"the bridge refused VoxCore's token (HTTP {response.status_code})")
            raise _BridgeDown(f"HTTP {response.status_code} from {path}")
        where = path.strip("/").removeprefix("v1/")
        return checked(f"bridge:{where}", _parse(where, response, expect_id), self._check)


def _parse(where: str, response: httpx.Response, expect_id: str | None) -> BotConfig:
    origin = f"bridge:{where}"
    try:
        data = response.json()
    except ValueError as error:
        raise BotConfigError(f"{origin}: the body is not JSON") from error
    if not isinstance(data, dict):
        raise BotConfigError(f"{origin}: expected a JSON object of bot settings")
    if expect_id is None and isinstance(data.get("id"), str):
        origin += f" (bot {data['id']!r})"
    try:
        bot = BotConfig.model_validate(data)
    except ValidationError as error:
        raise BotConfigError(describe_validation_error(origin, error)) from error
    if expect_id is not None and bot.id != expect_id:
        raise BotConfigError(f"{origin}: id: the bridge answered with bot {bot.id!r}")
    return bot
