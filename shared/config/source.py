"""Where bot configs come from. A directory of YAML files is the embedded default."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml
from loguru import logger
from pydantic import ValidationError

from shared.config.bot import BotConfig, normalize_number


class BotNotFoundError(LookupError):
    """No bot answers to this id or dialled number; the call is refused with this reason."""


class BotConfigError(ValueError):
    """A bot's config is invalid; the message names the file, the field and the problem."""


BotCheck = Callable[[BotConfig], None]
"""A check beyond the model's own that needs the process's settings (e.g. provider keys);
it raises ``ValueError`` with the field and the problem."""


def checked(origin: str, bot: BotConfig, check: BotCheck | None) -> BotConfig:
    """``bot`` if it passes ``check``; else a ``BotConfigError`` naming ``origin``."""
    if check is not None:
        try:
            check(bot)
        except ValueError as problem:
            raise BotConfigError(f"{origin}: {problem}") from problem
    return bot


class BotSource(Protocol):
    """Where a call finds its bot: the embedded YAML directory or the bridge's REST API."""

    async def by_id(self, bot_id: str) -> BotConfig: ...
    async def by_number(self, dialled: str) -> BotConfig: ...


def describe_validation_error(origin: str, error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['msg']}"
        for item in error.errors()
    )
    return f"{origin}: {problems}"


def parse_bot(origin: str, text: str) -> BotConfig:
    """Parse one bot from YAML text; every error names ``origin``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BotConfigError(f"{origin}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise BotConfigError(f"{origin}: expected a mapping of bot settings")
    try:
        return BotConfig.model_validate(data)
    except ValidationError as error:
        raise BotConfigError(describe_validation_error(origin, error)) from error


@dataclass
class _Loaded:
    mtime_ns: int
    bot: BotConfig | None
    error: str | None


class DirectoryBotSource:
    """Bots from ``*.yaml`` in a directory, re-read when a file changes: no restart needed.

    A broken file is reported (once per change) and skipped; the other bots keep working.
    """

    def __init__(self, directory: Path, check: BotCheck | None = None) -> None:
        self._directory = directory
        self._check = check
        self._files: dict[Path, _Loaded] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> list[BotConfig]:
        with self._lock:
            present = sorted(self._directory.glob("*.yaml")) + sorted(self._directory.glob("*.yml"))
            for path in set(self._files) - set(present):
                del self._files[path]
            for path in present:
                try:
                    mtime = path.stat().st_mtime_ns
                except FileNotFoundError:
                    continue
                cached = self._files.get(path)
                if cached is not None and cached.mtime_ns == mtime:
                    continue
                try:
                    parsed = parse_bot(str(path), path.read_text(encoding="utf-8"))
                    bot, error = checked(str(path), parsed, self._check), None
                except (BotConfigError, UnicodeDecodeError) as problem:
                    bot, error = None, str(problem)
                    logger.error(f"bot config rejected: {error}")
                self._files[path] = _Loaded(mtime, bot, error)
            return [entry.bot for entry in self._files.values() if entry.bot is not None]

    def errors(self) -> list[str]:
        self._refresh()
        return [entry.error for entry in self._files.values() if entry.error]

    def list(self) -> list[BotConfig]:
        return self._refresh()

    async def by_id(self, bot_id: str) -> BotConfig:
        for bot in self._refresh():
            if bot.id == bot_id:
                return bot
        raise BotNotFoundError(f"unknown bot {bot_id!r}")

    async def by_number(self, dialled: str) -> BotConfig:
        number = normalize_number(dialled)
        for bot in self._refresh():
            if number and number in bot.dids:
                return bot
        raise BotNotFoundError(f"no bot is assigned to the dialled number {dialled!r}")
