"""A provider module for the registry test: importing it is the observable event."""

from __future__ import annotations

from pipecat.processors.frame_processor import FrameProcessor

from shared.providers.spec import ProviderContext, ProviderSpec


class LazyProbe(FrameProcessor):
    def __init__(self, voice: str) -> None:
        super().__init__()
        self.voice = voice


def create(spec: ProviderSpec, ctx: ProviderContext) -> LazyProbe:
    return LazyProbe(**spec.options)
