"""``elevenlabs`` TTS: Pipecat's ``ElevenLabsTTSService`` (multi-context WebSocket), configured.

Nothing is rewritten: Pipecat's service takes a base ``url`` and appends
``/v1/text-to-speech/{voice}/multi-stream-input``, so the tenant's endpoint (a regional host,
or a test fake) only needs its scheme turned into a WebSocket one. The key travels in the
``xi-api-key`` header, never in a URL, so it cannot end up in a logged address.

Audio comes back as ``pcm_<rate>`` at the transport's own rate (``pcm_8000`` on a phone line):
Pipecat derives the format from the service's sample rate and reads every chunk as raw PCM16.
``ulaw_8000`` would save the carrier serializer one encode, but Pipecat has no mapping for it
and would hand mu-law bytes on as PCM (noise); the serializers already encode for the wire.
"""

from __future__ import annotations

from typing import Literal

from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.providers.spec import ProviderContext, ProviderSpec

DEFAULT_MODEL = "eleven_flash_v2_5"  # the low-latency model ElevenLabs recommends for agents
DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", a premade voice every account has
DEFAULT_URL = "wss://api.elevenlabs.io"


class ElevenLabsOptions(BaseModel):
    """What a bot may set in ``tts.options``: the voice and how it sounds (no keys, no URLs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    voice_id: str = Field(DEFAULT_VOICE, min_length=1)
    stability: float | None = Field(None, ge=0, le=1)
    similarity_boost: float | None = Field(None, ge=0, le=1)
    style: float | None = Field(None, ge=0, le=1)
    use_speaker_boost: bool | None = None
    speed: float | None = Field(None, ge=0.7, le=1.2)
    apply_text_normalization: Literal["auto", "on", "off"] | None = None


def websocket_url(base_url: str | None) -> str:
    """The service's base URL from a configured endpoint: ``http(s)://`` becomes ``ws(s)://``."""
    if not base_url:
        return DEFAULT_URL
    url = base_url.rstrip("/")
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if url.startswith(http):
            return ws + url[len(http) :]
    return url


def options(spec: ProviderSpec) -> ElevenLabsOptions:
    try:
        return ElevenLabsOptions.model_validate(spec.options)
    except ValidationError as error:
        raise ValueError(f"{spec.label}: bad options: {error}") from None


def create(spec: ProviderSpec, ctx: ProviderContext) -> ElevenLabsTTSService:
    opts = options(spec)
    voice = opts.model_dump(exclude={"voice_id"}, exclude_none=True)
    settings = ElevenLabsTTSService.Settings(
        voice=opts.voice_id, model=spec.model or DEFAULT_MODEL, language=ctx.language, **voice
    )
    return ElevenLabsTTSService(
        api_key=ctx.access.key(spec),
        url=websocket_url(ctx.access.base_url),
        sample_rate=ctx.sample_rate,
        settings=settings,
    )
