"""Calling a bot's webhook tools: only public addresses unless allowed, credentials from secrets."""

from shared.webhooks.client import WebhookClient, WebhookError
from shared.webhooks.egress import BlockedDestinationError, EgressPolicy
from shared.webhooks.schema import function_schema, validate_arguments

__all__ = [
    "BlockedDestinationError",
    "EgressPolicy",
    "WebhookClient",
    "WebhookError",
    "function_schema",
    "validate_arguments",
]
