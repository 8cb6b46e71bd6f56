"""What a bot may set for a Gemini model, shared by the ``gemini`` and ``vertex`` providers.

Sampling and thinking only: keys and endpoints come from the tenant's settings, never a bot.
The model name becomes part of the request path, so it is checked to be a plain resource name
(``gemini-2.5-flash``, ``models/...``, ``tunedModels/...``): no ``..``, query or fragment.
"""

from __future__ import annotations

import re

from pipecat.services.google.llm import GoogleLLMSettings, GoogleThinkingConfig
from pydantic import BaseModel, ConfigDict, Field

from shared.providers.spec import ProviderSpec

DEFAULT_MODEL = "gemini-2.5-flash"
"""Takes a JSON response schema (post-call analysis needs it; Pipecat drops the schema for
models before 2.5) and answers without thinking by default (Pipecat sends a budget of 0)."""


MODEL_NAME = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)*")


class GeminiOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    top_k: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=1)
    seed: int | None = None
    thinking_budget: int | None = Field(None, ge=-1)
    thinking_level: str | None = None


def settings(spec: ProviderSpec, options: GeminiOptions) -> GoogleLLMSettings:
    """Pipecat's settings delta: the model and only the options the bot set."""
    model = spec.model or DEFAULT_MODEL
    if not MODEL_NAME.fullmatch(model):
        raise ValueError(f"{spec.label}: {model!r} is not a model name")
    sampling = options.model_dump(
        exclude_none=True, include={"temperature", "top_p", "top_k", "max_tokens", "seed"}
    )
    thinking = options.model_dump(exclude_none=True, include={"thinking_budget", "thinking_level"})
    if thinking:
        sampling["thinking"] = GoogleThinkingConfig(**thinking)
    return GoogleLLMSettings(model=model, **sampling)
