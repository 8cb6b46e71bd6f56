"""A webhook tool as the LLM sees it, and the check of the arguments the LLM sends it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema

from shared.config.webhooks import WebhookTool
from shared.scenarios.tools import ToolArgumentsError


def function_schema(webhook: WebhookTool) -> FunctionSchema:
    """The schema advertised for a webhook that adds a tool (not one replacing a scenario's)."""
    parameters = webhook.parameters or {}
    return FunctionSchema(
        name=webhook.name,
        description=webhook.description or "",
        properties=parameters.get("properties", {}),
        required=list(parameters.get("required", [])),
    )


def validate_arguments(webhook: WebhookTool, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments, if they satisfy the webhook's ``parameters`` schema."""
    errors = list(Draft202012Validator(webhook.parameters or {}).iter_errors(dict(arguments)))
    if errors:
        problems = "; ".join(
            f"{'.'.join(map(str, e.path)) or 'arguments'}: {e.message}" for e in errors
        )
        raise ToolArgumentsError(f"{webhook.name}: {problems}")
    return dict(arguments)
