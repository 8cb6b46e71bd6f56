"""A call's tools: the scenario's own, the bot's webhooks in their place or beside them.

Every LLM of the call (the primary and its fallbacks) answers with the same tools, and every
call of one is recorded for the result, failures included: a tool that fails answers the LLM
with ``{"error": ...}`` and the call goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from loguru import logger
from pipecat.services.llm_service import FunctionCallParams, LLMService

from shared.calls import CallRequest
from shared.config.bot import BotConfig
from shared.config.webhooks import WebhookTool
from shared.results import ToolCallRecord, now
from shared.scenarios.base import Scenario
from shared.scenarios.tools import Tool, ToolArgumentsError
from shared.webhooks import WebhookClient, WebhookError, validate_arguments

ToolAction = Callable[[Mapping[str, Any]], Awaitable[Any]]


class CallTools:
    def __init__(
        self,
        request: CallRequest,
        bot: BotConfig,
        scenario: Scenario,
        webhooks: WebhookClient | None,
    ) -> None:
        self.request = request
        self.bot = bot
        self.webhooks = webhooks
        self.records: list[ToolCallRecord] = []
        self.actions: dict[str, ToolAction] = {tool.name: tool.invoke for tool in scenario.tools}
        built_in = {tool.name: tool for tool in scenario.tools}
        for webhook in bot.webhooks:
            self.actions[webhook.name] = self._webhook_action(webhook, built_in.get(webhook.name))

    def register(self, llm: LLMService) -> None:
        for name, action in self.actions.items():
            llm.register_function(name, self._handler(name, action))

    def record(
        self, name: str, arguments: dict[str, Any], result: Any, error: str | None = None
    ) -> None:
        self.records.append(
            ToolCallRecord(name=name, arguments=arguments, result=result, at=now(), error=error)
        )

    def _webhook_action(self, webhook: WebhookTool, built_in: Tool | None) -> ToolAction:
        """The bot's backend answers the tool; a scenario tool's arguments are still checked."""
        call = {
            "call_id": self.request.call_id,
            "bot_id": self.bot.id,
            "tenant": self.bot.tenant,
            "from": self.request.from_number,
            "to": self.request.to_number,
        }

        async def action(arguments: Mapping[str, Any]) -> Any:
            if self.webhooks is None:
                raise WebhookError(f"{webhook.name}: webhooks are not enabled in this process")
            if built_in is not None:
                checked = built_in.validate(arguments)
            else:
                checked = validate_arguments(webhook, arguments)
            return await self.webhooks.call(webhook, checked, call)

        return action

    def _handler(self, name: str, action: ToolAction) -> Any:
        async def handler(params: FunctionCallParams) -> None:
            arguments = dict(params.arguments)
            try:
                result: Any = await action(arguments)
                error = None
            except (ToolArgumentsError, WebhookError) as problem:
                result, error = {"error": str(problem)}, str(problem)
                logger.warning(f"call {self.request.call_id}: tool {name} failed: {problem}")
            self.record(name, arguments, result, error)
            logger.info(f"call {self.request.call_id}: tool {name}({arguments})")
            await params.result_callback(result)

        return handler
