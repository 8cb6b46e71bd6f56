"""HTTP webhook tools a bot declares: the customer's own systems, called during the call."""

from __future__ import annotations

import re
from typing import Any, Literal

from jsonschema import Draft202012Validator, SchemaError
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

TOOL_NAME = r"^[a-z][a-z0-9_]{0,63}$"
# Header names that carry credentials: their values belong in secrets, not in bot configs.
CREDENTIAL_HEADER = re.compile(r"(?i)authorization|cookie|token|secret|key|password|signature")


class WebhookTool(BaseModel):
    """A tool the LLM can call that the bot's own backend answers over HTTP(S).

    A webhook named like one of the scenario's tools replaces that tool's built-in action
    (arguments are still validated by the scenario); any other name adds a new tool, which
    then needs ``description`` and ``parameters`` (a JSON Schema object).

    Credentials never live here: ``secret_headers`` maps a header to the *name* of a secret
    the process holds (``VOXCORE_TOOL_SECRETS``), so a config served by the bridge carries none.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=TOOL_NAME)
    url: AnyHttpUrl
    method: Literal["POST", "GET"] = "POST"
    description: str | None = None
    parameters: dict[str, Any] | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    secret_headers: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(5.0, gt=0, le=30)

    @field_validator("parameters")
    @classmethod
    def _parameters_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is None:
            return None
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise ValueError(f"not a valid JSON Schema: {error.message}") from None
        if schema.get("type") != "object":
            raise ValueError('must be {"type": "object", "properties": {...}}')
        return schema

    @field_validator("headers")
    @classmethod
    def _no_credentials_in_plain_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for header in headers:
            if CREDENTIAL_HEADER.search(header):
                raise ValueError(
                    f"{header!r} looks like a credential: name a secret in secret_headers instead"
                )
        return headers
