"""``soniox``: Soniox real-time STT, Pipecat's ``SonioxSTTService`` configured per bot and tenant.

The pipeline decides turns (Silero VAD + SmartTurn), so the service runs in Pipecat's default
mode: Soniox's endpoint detection stays off and each VAD stop sends ``finalize``; Soniox makes
the tokens so far final (ending them with ``<fin>``), Pipecat pushes them as one finalized
transcript, which stops the STT TTFB clock, and reports the audio seconds sent as usage.
Audio goes out as pcm_s16le at the call's rate: Soniox takes 8 kHz telephone audio as is, so
nothing is resampled.

The key travels in the handshake (``Authorization: Bearer``), never in a message. Pipecat
takes a full socket URL, so a tenant's base URL (a regional host, a test server) becomes
``ws(s)://<base>/transcribe-websocket`` here. One minimal subclass, :class:`SonioxSTT`, makes
Soniox's error responses reach Pipecat's own error handling (see there).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from pipecat.services.soniox.stt import SonioxContextObject, SonioxSTTService
from pipecat.transcriptions.language import Language
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.providers import endpoints
from shared.providers.spec import ProviderContext, ProviderSpec

DEFAULT_URL = "wss://stt-rt.soniox.com/transcribe-websocket"
ENDPOINT_PATH = "/transcribe-websocket"


class SonioxSTT(SonioxSTTService):
    """Pipecat's service, with Soniox's error responses readable.

    Soniox answers an error (a rejected key, a bad model) with ``{"error_code",
    "error_message"}``, no ``tokens``, and closes. Pipecat 1.14 reads ``tokens`` before the
    error fields, so the error was dropped as a KeyError, the service reconnected three times
    into the same refusal and gave up with "connection failed 3 times" and no reason. Here such
    a message gets empty ``tokens`` on its way in, and Pipecat's own handling reports it: a
    wrong key is a 401, an authentication error that makes the service unusable at once.
    """

    def _get_websocket(self) -> Any:
        return _WithTokens(super()._get_websocket())


class _WithTokens:
    """Iterates a socket's messages, giving JSON objects without ``tokens`` empty ones."""

    def __init__(self, websocket: Any) -> None:
        self._websocket = websocket

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        async for message in self._websocket:
            if isinstance(message, str) and '"tokens"' not in message:
                try:
                    content = json.loads(message)
                except ValueError:
                    content = None  # Pipecat logs non-JSON itself
                if isinstance(content, dict):
                    message = json.dumps({"tokens": [], **content})
            yield message


class SonioxOptions(BaseModel):
    """What a bot may set (``options``); the model is the spec's ``model``.

    ``language_hints`` default to the bot's language. Soniox's own endpoint detection is not
    an option: turns are the pipeline's, and two endpointers would race.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    language_hints: list[str] | None = None
    language_hints_strict: bool | None = None
    context: SonioxContextObject | str | None = None
    enable_language_identification: bool | None = None


def websocket_url(base_url: str | None) -> str:
    """The socket under a base URL (``http://host:port`` -> ``ws://host:port/transcribe-...``)."""
    if not base_url:
        return DEFAULT_URL
    return endpoints.websocket_url(base_url, ENDPOINT_PATH, "soniox")


def parse_options(spec: ProviderSpec) -> SonioxOptions:
    try:
        return SonioxOptions.model_validate(spec.options)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in error.errors()
        )
        raise ValueError(f"{spec.label}: {problems}") from None


def language_hints(spec: ProviderSpec, hints: list[str]) -> list[Language]:
    try:
        return [Language(hint) for hint in hints]
    except ValueError as error:
        raise ValueError(f"{spec.label}: language hint: {error}") from None


def create(spec: ProviderSpec, ctx: ProviderContext) -> SonioxSTT:
    options = parse_options(spec)
    settings: dict[str, Any] = {
        "language_hints": language_hints(spec, options.language_hints or [ctx.language]),
        **options.model_dump(exclude={"language_hints"}, exclude_none=True),
    }
    if options.context is not None:  # model_dump made it a dict; Pipecat wants its own type
        settings["context"] = options.context
    if spec.model:
        settings["model"] = spec.model
    return SonioxSTT(
        api_key=ctx.access.key(spec),
        url=websocket_url(ctx.access.base_url),
        sample_rate=ctx.sample_rate,
        settings=SonioxSTT.Settings(**settings),
    )
