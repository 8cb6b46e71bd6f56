"""``gemini``: Pipecat's ``GoogleLLMService`` on the Gemini API, keyed per tenant.

The tenant's endpoint (``VOXCORE_PROVIDER_URLS``: a regional proxy, a test server) goes to
google-genai as ``http_options.base_url``, which Pipecat passes through; requests then go to
``{base_url}/v1beta/models/{model}:streamGenerateContent`` with the key in ``x-goog-api-key``.
"""

from __future__ import annotations

from google.genai.types import HttpOptions
from pipecat.services.google.llm import GoogleLLMService

from shared.providers.google.options import GeminiOptions, settings
from shared.providers.spec import ProviderContext, ProviderSpec


def create(spec: ProviderSpec, ctx: ProviderContext) -> GoogleLLMService:
    options = GeminiOptions.model_validate(spec.options)
    base_url = ctx.access.base_url
    return GoogleLLMService(
        api_key=ctx.access.key(spec),
        settings=settings(spec, options),
        http_options=HttpOptions(base_url=base_url) if base_url else None,
    )
