"""``sarvam`` STT: Sarvam's realtime recognizer, Pipecat's ``SarvamRealtimeSTTService``.

Pipecat has two Sarvam STT services. ``SarvamSTTService`` goes through the ``sarvamai`` SDK,
whose endpoint is fixed by an environment object Pipecat does not expose; the realtime one
speaks Sarvam's ``/speech-to-text-realtime/ws`` socket itself, takes a base URL, and declares
8 and 16 kHz linear16 input. So the realtime service is used, unchanged: telephone audio goes
out at 8 kHz as it came in, nothing is resampled.

Turns are the pipeline's (Silero VAD + SmartTurn), so endpointing is ``manual``: the VAD's
start and stop reach Sarvam as ``speech_start``/``speech_end``, and ``speech_end`` brings the
utterance's final transcript (which stops the STT TTFB clock; usage is the audio seconds sent).
Sarvam's own VAD endpointing would race the pipeline's and is not offered.
"""

from __future__ import annotations

from typing import Any, Literal

from pipecat.services.sarvam.stt import (
    SUPPORTED_LANGUAGES,
    SUPPORTED_SAMPLE_RATES,
    SarvamRealtimeSTTService,
    language_to_sarvam_realtime_language,
)
from pipecat.transcriptions.language import Language
from pydantic import BaseModel, ConfigDict

from shared.providers.sarvam import parse_options, sarvam_language, websocket_url
from shared.providers.spec import ProviderContext, ProviderSpec

PATH = "/speech-to-text-realtime/ws"
AUTO = "auto"


class SarvamSTTOptions(BaseModel):
    """What a bot may set (``options``); the model is the spec's (``saaras:v3-realtime``).

    ``language``: a Sarvam code (``hi-IN``) or ``auto`` to detect each utterance's language
    (code-mixed callers); by default the bot's language.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str | None = None
    mode: Literal["transcribe", "translate", "verbatim", "translit", "codemix"] | None = None
    prompt: str | None = None
    stream_type: Literal["fast", "balanced", "simulated"] | None = None
    keyterms: list[str] | None = None


def _code(base: str) -> str:
    try:
        return language_to_sarvam_realtime_language(Language(base))
    except ValueError:  # not a language Pipecat knows
        return base


def language(spec: ProviderSpec, ctx: ProviderContext, options: SarvamSTTOptions) -> str | None:
    """Sarvam's ``language_code`` for the call; None asks Sarvam to detect it."""
    wanted = options.language or ctx.language
    if wanted == AUTO:
        return None
    return sarvam_language(spec, wanted, _code, SUPPORTED_LANGUAGES - {AUTO})


def create(spec: ProviderSpec, ctx: ProviderContext) -> SarvamRealtimeSTTService:
    options = parse_options(spec, SarvamSTTOptions)
    if ctx.sample_rate not in SUPPORTED_SAMPLE_RATES:
        raise ValueError(
            f"{spec.label}: Sarvam takes 8 or 16 kHz audio; this call's is {ctx.sample_rate} Hz"
        )
    settings: dict[str, Any] = options.model_dump(
        include={"mode", "prompt", "stream_type"}, exclude_none=True
    )
    if spec.model:
        settings["model"] = spec.model
    return SarvamRealtimeSTTService(
        api_key=ctx.access.key(spec),
        base_url=websocket_url(ctx.access.base_url, PATH),
        endpointing="manual",
        sample_rate=ctx.sample_rate,
        keyterms=options.keyterms,
        settings=SarvamRealtimeSTTService.Settings(
            language=language(spec, ctx, options), **settings
        ),
    )
