"""Deepgram: ``deepgram`` (Nova-3, ``stt.py``) and ``deepgram-flux`` (Flux, ``flux.py``).

Both are Pipecat's own services, configured from the bot's spec: model and options from the
bot, key and endpoint from the tenant's settings (``ctx.access``), never from the bot. This
module imports no SDK: the helpers below only check and map a bot's options.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def split_options(
    label: str,
    options: Mapping[str, Any],
    settings: Iterable[str],
    init: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a bot's options into Pipecat settings and constructor arguments.

    ``keyterms`` is accepted for Pipecat's ``keyterm`` (a list of phrases). An unknown option
    is refused with the list of known ones: a typo must fail the call's setup, not be sent to
    the vendor as a query parameter or silently dropped.
    """
    settable, init_only = set(settings), set(init)
    given = dict(options)
    if "keyterms" in given:
        if "keyterm" in given:
            raise ValueError(f"{label}: give keyterms or keyterm, not both")
        given["keyterm"] = given.pop("keyterms")
    if "keyterm" in given:
        terms = given["keyterm"]
        if isinstance(terms, str):
            terms = [terms]
        if not isinstance(terms, list) or not all(isinstance(t, str) and t for t in terms):
            raise ValueError(f"{label}: keyterms must be a list of phrases")
        given["keyterm"] = terms
    unknown = sorted(given.keys() - settable - init_only)
    if unknown:
        known = ", ".join(sorted((settable | init_only | {"keyterms"}) - {"keyterm"}))
        raise ValueError(f"{label}: unknown option(s) {', '.join(unknown)} (known: {known})")
    return (
        {k: v for k, v in given.items() if k in settable},
        {k: v for k, v in given.items() if k in init_only},
    )
