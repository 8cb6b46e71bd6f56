"""``openai``: Pipecat's ``OpenAILLMService``, configured from a bot's spec and its tenant's access.

The same provider reaches any OpenAI-compatible server (vLLM, Ollama, a proxy): the tenant's
endpoint from ``VOXCORE_PROVIDER_URLS`` (``http://vllm:8000/v1``) becomes the client's
``base_url``; the bot config never names one. Pipecat streams with
``stream_options.include_usage``, so every response reports its tokens as usage metrics.
The registry imports this module (and so the SDK) only when a bot uses the provider.
"""

from __future__ import annotations

from pipecat.services.openai.llm import OpenAILLMService as PipecatOpenAILLMService
from pydantic import BaseModel, ConfigDict, Field

from shared.providers.spec import ProviderContext, ProviderSpec

DEFAULT_MODEL = "gpt-4o-mini"
NO_AUTH_KEY = "unused"
"""Sent to a self-hosted endpoint configured without a key (vLLM and Ollama ignore it).

The OpenAI client needs some key and would otherwise read ``OPENAI_API_KEY`` from the
environment, sending the process's OpenAI key to that server."""


class OpenAIOptions(BaseModel):
    """``spec.options``: sampling only (keys and endpoints never come from a bot)."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    seed: int | None = None
    service_tier: str | None = None


class OpenAILLMService(PipecatOpenAILLMService):
    """Pipecat's service, closing its HTTP client when the call's pipeline is cleaned up.

    Pipecat 1.14 never closes the ``AsyncOpenAI`` client it makes per service (keep-alive
    connections without expiry), so every call would leave its connections open until garbage
    collection. Same class name as Pipecat's, so processor names in metrics stay the same.
    """

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._client.close()


def create(spec: ProviderSpec, ctx: ProviderContext) -> OpenAILLMService:
    options = OpenAIOptions.model_validate(spec.options)
    sampling = options.model_dump(exclude_none=True, exclude={"service_tier"})
    access = ctx.access
    key = NO_AUTH_KEY if access.api_key is None and access.base_url else access.key(spec)
    return OpenAILLMService(
        api_key=key,
        base_url=access.base_url,
        service_tier=options.service_tier,
        settings=OpenAILLMService.Settings(model=spec.model or DEFAULT_MODEL, **sampling),
    )
