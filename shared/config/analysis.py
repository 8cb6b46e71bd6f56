"""What a bot wants to know after each call: a disposition, a summary, and extracted fields."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, SchemaError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.providers.spec import ProviderSpec
from shared.results import DisconnectedBy

ANY_TOOL = "*"


class Disposition(BaseModel):
    """One label a call can end with, and when the offline analyzer picks it.

    The description is what an LLM analyzer reads. Offline, the first label whose rule holds
    wins: a listed tool succeeded (``"*"``: any scenario tool) with a result holding
    ``result_has`` (``{booked: true}``: the booking went through, not just the attempt), a
    listed intent was heard, or the call ended the listed way. A label with no rule is only
    chosen as the fallback.
    """

    model_config = ConfigDict(extra="forbid")

    label: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    description: str = Field(min_length=1)
    tools: list[str] = Field(default_factory=list)
    result_has: dict[str, Any] = Field(default_factory=dict)
    intents: list[str] = Field(default_factory=list)
    ended_by: list[DisconnectedBy] = Field(default_factory=list)


DEFAULT_DISPOSITIONS = [
    Disposition(
        label="resolved",
        description="The caller's request was handled: the bot did what they called for.",
        tools=[ANY_TOOL],
    ),
    Disposition(
        label="abandoned",
        description="The caller hung up or went silent before anything was done.",
        ended_by=["caller", "timeout"],
    ),
    Disposition(label="unresolved", description="The call ended without handling the request."),
]


class AnalysisSettings(BaseModel):
    """Post-call analysis: labels to choose from, fields to extract, and whether to summarize.

    ``fields`` is a JSON Schema object; extracted values are validated against it, and a value
    that fails is dropped with the reason, never passed on. ``provider`` defaults to the bot's
    own LLM: ``local-intent`` decides offline from the transcript, a cloud LLM answers with
    structured output.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    dispositions: list[Disposition] = Field(
        default_factory=lambda: list(DEFAULT_DISPOSITIONS), min_length=1
    )
    fallback: str = "unresolved"
    fields: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    summary: bool = True
    provider: ProviderSpec | None = None
    timeout_s: float = Field(20.0, gt=0, le=120)

    @property
    def labels(self) -> list[str]:
        return [disposition.label for disposition in self.dispositions]

    @field_validator("fields")
    @classmethod
    def _fields_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise ValueError(f"not a valid JSON Schema: {error.message}") from None
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            raise ValueError('must be {"type": "object", "properties": {...}}')
        return schema

    @model_validator(mode="after")
    def _labels_known(self) -> AnalysisSettings:
        labels = self.labels
        if len(set(labels)) != len(labels):
            raise ValueError("dispositions: labels must be unique")
        if self.fallback not in labels:
            raise ValueError(f"fallback: {self.fallback!r} is not one of {labels}")
        if self.provider is not None and self.provider.kind != "llm":
            raise ValueError(f"provider: {self.provider.name!r} is not an llm provider")
        return self
