"""Sarvam AI (Indian languages): ``sarvam`` STT (``stt.py``) and TTS (``tts.py``).

Both are Pipecat's own WebSocket services, configured from the bot's spec: model and options
from the bot, key and endpoint from the tenant's settings (``ctx.access``). One base URL serves
both, as Sarvam's API does (``https://api.sarvam.ai``): each service's socket path is appended
to it. This module imports no SDK: the helpers below map URLs, languages and options.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from shared.providers import endpoints
from shared.providers.spec import ProviderSpec

API_URL = "wss://api.sarvam.ai"

Options = TypeVar("Options", bound=BaseModel)


def websocket_url(base_url: str | None, path: str) -> str:
    """``path`` under a base URL (``http://host:port`` -> ``ws://host:port<path>``)."""
    return endpoints.websocket_url(base_url or API_URL, path, "sarvam")


def sarvam_language(
    spec: ProviderSpec, language: str, convert: Callable[[str], str], supported: Collection[str]
) -> str:
    """Sarvam's code for a bot language: ``hi-IN`` as is, ``hi`` or ``en-US`` by base language.

    Sarvam serves Indian languages (English as ``en-IN``); any other language is refused when
    the call's services are built, with the codes it could have been.
    """
    if language in supported:
        return language
    code = convert(language.split("-")[0])
    if code not in supported:
        known = ", ".join(sorted(supported))
        raise ValueError(f"{spec.label}: Sarvam has no {language!r} (it serves {known})")
    return code


def parse_options(spec: ProviderSpec, model: type[Options]) -> Options:
    """The bot's options checked against ``model``: a typo fails the call's setup, clearly."""
    try:
        return model.model_validate(spec.options)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in error.errors()
        )
        raise ValueError(f"{spec.label}: {problems}") from None
