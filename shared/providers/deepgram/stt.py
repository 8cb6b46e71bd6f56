"""``deepgram``: Deepgram's streaming recognizer (Nova-3 by default), Pipecat's own service.

Pipecat's ``DeepgramSTTService`` is used as is. Telephone audio goes out as it came in
(linear16 at the call's rate, 8 kHz on a phone line: Deepgram takes 8 kHz natively, so there is
no resampling). The VAD's stop sends Deepgram a ``Finalize`` and its answer is marked final,
which ends the turn and stops the STT TTFB clock; usage is the audio seconds sent.

A base URL from the tenant's settings (self-hosted Deepgram, a regional host, a test fake) is
handed to Pipecat, which opens ``ws(s)://<base>/v1/listen``. A callback URL or free-form
``addons`` are not bot options: a bot's config must not send audio or transcripts elsewhere.
"""

from __future__ import annotations

from dataclasses import fields

from pipecat.services.deepgram.stt import DeepgramSTTService

from shared.providers.deepgram import split_options
from shared.providers.spec import ProviderContext, ProviderSpec

DEFAULT_MODEL = "nova-3"
# Connection-level options Pipecat takes as constructor arguments rather than settings.
INIT_OPTIONS = ("tag", "mip_opt_out")
SETTINGS = tuple(
    f.name for f in fields(DeepgramSTTService.Settings) if f.name not in ("model", "extra")
)


def create(spec: ProviderSpec, ctx: ProviderContext) -> DeepgramSTTService:
    """Nova-3 for one call: ``language`` defaults to the bot's, ``keyterms`` boosts phrases,
    ``endpointing`` (ms), ``smart_format``, ``interim_results`` etc. are Deepgram's own."""
    settings, init = split_options(spec.label, spec.options, SETTINGS, INIT_OPTIONS)
    settings.setdefault("language", ctx.language)
    return DeepgramSTTService(
        api_key=ctx.access.key(spec),
        base_url=ctx.access.base_url or "",
        sample_rate=ctx.sample_rate,
        encoding="linear16",
        settings=DeepgramSTTService.Settings(model=spec.model or DEFAULT_MODEL, **settings),
        **init,
    )
