"""Lazy scenario registry: ``name -> "module:attribute"``, imported when a bot first names it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.scenarios.base import Scenario

_REGISTRY: dict[str, str] = {
    "support_desk": "shared.scenarios.support_desk:SCENARIO",
    "clinic_booking": "shared.scenarios.clinic_booking:SCENARIO",
}


class UnknownScenarioError(LookupError):
    """A bot names a scenario that is not registered."""


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Scenario:
    """The scenario registered under ``name``."""
    try:
        path = _REGISTRY[name]
    except KeyError:
        raise UnknownScenarioError(
            f"unknown scenario {name!r} (registered: {', '.join(names())})"
        ) from None
    module, attribute = path.split(":")
    scenario: Scenario = getattr(importlib.import_module(module), attribute)
    return scenario
