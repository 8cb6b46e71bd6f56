"""Settings for LLM services that sample nothing (``local-intent``, the ``fake`` LLM).

Pipecat's ``LLMSettings`` must be given every field; these services have no sampling, so all
of them are unset.
"""

from __future__ import annotations

from typing import TypeVar

from pipecat.services.settings import LLMSettings

Settings = TypeVar("Settings", bound=LLMSettings)


def unsampled(settings: type[Settings], model: str) -> Settings:
    return settings(
        model=model,
        system_instruction=None,
        temperature=None,
        max_tokens=None,
        top_p=None,
        top_k=None,
        frequency_penalty=None,
        presence_penalty=None,
        seed=None,
        filter_incomplete_user_turns=False,
        user_turn_completion_config=None,
    )
