"""``sarvam`` TTS: Sarvam's Bulbul voices over its streaming socket, Pipecat's ``SarvamTTSService``.

Used unchanged: Pipecat opens ``/text-to-speech/ws`` under the URL it is given (the tenant's
base URL, or Sarvam's), sends a ``config`` (voice, language, ``speech_sample_rate``, linear16),
then each sentence as ``text`` and a ``flush`` at the end of each reply; audio comes back as
base64 PCM and a ``final`` event ends the reply. Sarvam synthesizes at 8 kHz itself, so the
caller's line gets audio at its own rate with no resampling here. TTS TTFB is measured to the
first audio chunk; usage is the characters sent.
"""

from __future__ import annotations

from typing import Any

from pipecat.services.sarvam.tts import SarvamTTSService, language_to_sarvam_language
from pipecat.transcriptions.language import Language
from pydantic import BaseModel, ConfigDict

from shared.providers.sarvam import parse_options, sarvam_language, websocket_url
from shared.providers.spec import ProviderContext, ProviderSpec

PATH = "/text-to-speech/ws"
# Bulbul's languages, as Pipecat's map writes them (Odia is ``od-IN`` here, ``or-IN`` in STT).
LANGUAGES = frozenset(
    {
        "bn-IN",
        "en-IN",
        "gu-IN",
        "hi-IN",
        "kn-IN",
        "ml-IN",
        "mr-IN",
        "od-IN",
        "pa-IN",
        "ta-IN",
        "te-IN",
    }
)


class SarvamTTSOptions(BaseModel):
    """What a bot may set (``options``); the model is the spec's (``bulbul:v3`` by default).

    ``voice`` is the speaker (the model's default: ``shubh`` for bulbul:v3); ``language`` a
    Sarvam code overriding the bot's. ``min_buffer_size`` is how many characters Sarvam waits
    for before it speaks (Pipecat's default 50; every reply is flushed at its end anyway).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    voice: str | None = None
    language: str | None = None
    pace: float | None = None
    temperature: float | None = None
    pitch: float | None = None
    loudness: float | None = None
    min_buffer_size: int | None = None
    max_chunk_length: int | None = None


def _code(base: str) -> str:
    try:
        return language_to_sarvam_language(Language(base))
    except ValueError:  # not a language Pipecat knows
        return base


def create(spec: ProviderSpec, ctx: ProviderContext) -> SarvamTTSService:
    options = parse_options(spec, SarvamTTSOptions)
    settings: dict[str, Any] = options.model_dump(exclude={"language"}, exclude_none=True)
    if spec.model:
        settings["model"] = spec.model
    code = sarvam_language(spec, options.language or ctx.language, _code, LANGUAGES)
    return SarvamTTSService(
        api_key=ctx.access.key(spec),
        url=websocket_url(ctx.access.base_url, PATH),
        sample_rate=ctx.sample_rate,
        settings=SarvamTTSService.Settings(language=code, **settings),
    )
