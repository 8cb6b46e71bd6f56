"""Provider usage per call, summed from the usage metrics Pipecat's services report.

Services report deltas (seconds of audio sent to STT, tokens per LLM response, characters per
TTS request) in ``MetricsFrame``s that every later processor passes on; each is counted once,
on its first push, and credited to the provider spec that built the service.
"""

from __future__ import annotations

from pipecat.frames.frames import MetricsFrame
from pipecat.metrics.metrics import (
    LLMUsageMetricsData,
    MetricsData,
    STTUsageMetricsData,
    TTSUsageMetricsData,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from shared.providers.spec import ProviderSpec
from shared.results import ProviderUsage


class UsageObserver(BaseObserver):
    """Sums usage per provider; ``services`` maps each service's processor name to its spec."""

    def __init__(self, services: dict[str, ProviderSpec]) -> None:
        super().__init__()
        self._services = services
        self._usage: dict[str, ProviderUsage] = {}

    async def on_push_frame(self, data: FramePushed) -> None:
        if isinstance(data.frame, MetricsFrame) and data.first_push:
            for item in data.frame.data:
                self._count(item)

    def _count(self, item: MetricsData) -> None:
        spec = self._services.get(item.processor)
        if spec is None or not isinstance(
            item, STTUsageMetricsData | LLMUsageMetricsData | TTSUsageMetricsData
        ):
            return
        line = self._usage.setdefault(
            item.processor,
            ProviderUsage(kind=spec.kind, provider=spec.name, model=spec.model or item.model),
        )
        if isinstance(item, STTUsageMetricsData):
            line.audio_seconds += item.value.audio_seconds
        elif isinstance(item, LLMUsageMetricsData):
            line.input_tokens += item.value.prompt_tokens
            line.output_tokens += item.value.completion_tokens
        else:
            line.characters += item.value

    def label(self, processor: str) -> str:
        """The provider label (``stt:deepgram/nova-3``) of a service, by its processor name."""
        spec = self._services.get(processor)
        return spec.label if spec else processor

    def usage(self) -> list[ProviderUsage]:
        """One line per provider that reported anything, audio seconds rounded to ms."""
        return [
            line.model_copy(update={"audio_seconds": round(line.audio_seconds, 3)})
            for line in self._usage.values()
        ]
