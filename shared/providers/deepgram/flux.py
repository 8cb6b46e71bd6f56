"""``deepgram-flux``: Deepgram Flux, a recognizer that decides the end of the caller's turn.

Pipecat's ``DeepgramFluxSTTService`` is used as is. Flux's ``StartOfTurn`` and ``EndOfTurn``
become proposed turn starts and stops, which ``functions/call/turns.py`` resolves instead of
VAD + SmartTurn (``StartOfTurn`` barges in). Audio goes out as linear16 at the call's rate.

Pipecat takes a full socket URL for Flux (not a base URL as for Nova), so the tenant's base
URL is turned into ``ws(s)://<base>/v2/listen`` here, the same root the Nova service uses.
Flux's eager end of turn is not offered: it answers a predicted end of turn speculatively,
and a speculative answer may call a tool (open a ticket) for a turn the caller then goes on.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pipecat.services.deepgram.flux.stt import DeepgramFluxSTTService
from pipecat.transcriptions.language import Language

from shared.providers import endpoints
from shared.providers.deepgram import split_options
from shared.providers.spec import ProviderContext, ProviderSpec

DEFAULT_MODEL = "flux-general-en"
MULTILINGUAL_MODEL = "flux-general-multi"
DEFAULT_URL = "wss://api.deepgram.com/v2/listen"
INIT_OPTIONS = ("tag", "mip_opt_out")
_NOT_OPTIONS = ("model", "extra", "language", "eager_eot_threshold")
SETTINGS = tuple(
    f.name for f in fields(DeepgramFluxSTTService.Settings) if f.name not in _NOT_OPTIONS
)


def listen_url(base_url: str | None) -> str:
    """Flux's socket URL under a base URL (``http://host:port`` -> ``ws://host:port/v2/listen``)."""
    if not base_url:
        return DEFAULT_URL
    return endpoints.websocket_url(base_url, "/v2/listen", "deepgram-flux")


def _language_hints(spec: ProviderSpec, hints: Any) -> list[Language]:
    if not isinstance(hints, list):
        raise ValueError(f"{spec.label}: language_hints must be a list of language codes")
    try:
        return [Language(hint) for hint in hints]
    except ValueError as error:
        raise ValueError(f"{spec.label}: {error}") from None


def create(spec: ProviderSpec, ctx: ProviderContext) -> DeepgramFluxSTTService:
    """Flux for one call: ``eot_threshold``, ``eot_timeout_ms``, ``keyterms``, ``numerals``..."""
    settings, init = split_options(spec.label, spec.options, SETTINGS, INIT_OPTIONS)
    if isinstance(init.get("tag"), str):
        init["tag"] = [init["tag"]]  # Pipecat sends each item of a list as a tag
    model = spec.model or DEFAULT_MODEL
    if model == MULTILINGUAL_MODEL:
        settings["language_hints"] = _language_hints(
            spec, settings.get("language_hints", [ctx.language])
        )
    elif "language_hints" in settings:
        raise ValueError(f"{spec.label}: language_hints need model {MULTILINGUAL_MODEL}")
    elif model.endswith("-en") and ctx.language.split("-")[0] != "en":
        raise ValueError(
            f"{spec.label}: {model} is English only; the bot speaks {ctx.language!r} "
            f"(use {MULTILINGUAL_MODEL})"
        )
    return DeepgramFluxSTTService(
        api_key=ctx.access.key(spec),
        url=listen_url(ctx.access.base_url),
        sample_rate=ctx.sample_rate,
        flux_encoding="linear16",
        settings=DeepgramFluxSTTService.Settings(model=model, **settings),
        **init,
    )
