"""Post-call analysis: a disposition from the bot's labels, a summary and extracted fields.

The analyzer follows the bot (``analysis.provider``, else its LLM and that LLM's fallbacks, in
order): ``local-intent`` decides offline; any other LLM answers with structured output. When
one fails or runs past its timeout the next is tried, and the offline analyzer decides last;
the result says which failed: a call never ends without an analysis because a provider blipped.
"""

from __future__ import annotations

import asyncio
from typing import cast

from loguru import logger
from pipecat.services.llm_service import LLMService

from shared.analysis.offline import OfflineAnalyzer
from shared.analysis.structured import StructuredAnalyzer
from shared.config.bot import BotConfig
from shared.providers import registry
from shared.providers.credentials import Credentials
from shared.results import CallAnalysis, CallResult
from shared.scenarios.base import Scenario

__all__ = ["OfflineAnalyzer", "StructuredAnalyzer", "analyze_call"]


async def analyze_call(
    bot: BotConfig, scenario: Scenario, result: CallResult, credentials: Credentials
) -> CallAnalysis | None:
    """The call's analysis per the bot's settings; None when the bot turned analysis off."""
    settings = bot.analysis
    if not settings.enabled:
        return None
    offline = OfflineAnalyzer(settings, scenario)
    # The bot's analysis provider, else its LLM chain in failover order.
    specs = [settings.provider] if settings.provider else bot.providers("llm")
    problems: list[str] = []
    for spec in specs:
        if spec.name == OfflineAnalyzer.name:
            break
        try:
            ctx = credentials.context(bot, spec, 16000, scenario)
            llm = cast(LLMService, registry.create(spec, ctx))
            try:
                async with asyncio.timeout(settings.timeout_s):
                    analyzer = StructuredAnalyzer(settings, llm, bot.name, spec.label)
                    analysis = await analyzer.analyze(result)
            finally:
                await llm.cleanup()  # closes the service's HTTP client
            return analysis.model_copy(update={"problems": [*problems, *analysis.problems]})
        except Exception as error:
            # The error's type only: provider messages can quote request details.
            problem = f"{spec.label} analysis failed ({type(error).__name__})"
            logger.warning(f"call {result.call_id}: {problem}")
            problems.append(problem)
    analysis = await offline.analyze(result)
    if problems:
        problems[-1] += "; decided offline"
    return analysis.model_copy(update={"problems": [*problems, *analysis.problems]})
