"""``vertex``: Pipecat's ``GoogleVertexLLMService``, Gemini on Vertex AI with a service account.

The key is the service account's credentials JSON (``GOOGLE_VERTEX_CREDENTIALS`` or the
tenant's entry in ``VOXCORE_PROVIDER_KEYS``); the project defaults to the account's own.
``location`` picks the regional endpoint (``{location}-aiplatform.googleapis.com``), so it is
checked to be a plain region name: a bot must not be able to steer the host its tenant's token
is sent to. The tenant's endpoint from settings, if any, replaces Google's host through
google-genai's ``http_options.base_url`` (same ``generateContent`` wire format as the Gemini
API, under ``/v1beta1/projects/{project}/locations/{location}/publishers/google/models/``).

Pipecat fetches the first access token from the credentials' ``token_uri`` while the service
is built, so credentials Google refuses fail the call before it starts.
"""

from __future__ import annotations

import json

from google.genai.types import HttpOptions
from pipecat.services.google.vertex.llm import GoogleVertexLLMService
from pydantic import Field

from shared.providers.google.options import GeminiOptions, settings
from shared.providers.spec import ProviderContext, ProviderSpec


class VertexOptions(GeminiOptions):
    project: str | None = Field(None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    location: str = Field("global", pattern=r"^[a-z][a-z0-9-]{0,40}$")


def create(spec: ProviderSpec, ctx: ProviderContext) -> GoogleVertexLLMService:
    options = VertexOptions.model_validate(spec.options)
    credentials = ctx.access.key(spec)
    project = options.project or _project_of(spec, credentials)
    base_url = ctx.access.base_url
    return GoogleVertexLLMService(
        credentials=credentials,
        project_id=project,
        location=options.location,
        settings=settings(spec, options),
        http_options=HttpOptions(base_url=base_url) if base_url else None,
    )


def _project_of(spec: ProviderSpec, credentials: str) -> str:
    """The project a service account belongs to (never echoing the credentials)."""
    try:
        project = json.loads(credentials).get("project_id")
    except (ValueError, AttributeError):
        project = None
    if not isinstance(project, str) or not project:
        raise ValueError(
            f"{spec.label}: the key must be a service account's credentials JSON with a "
            "project_id, or set options.project"
        )
    return project
