"""Usage sums per provider: each metrics frame counted once, credited to its service's spec."""

from __future__ import annotations

from pipecat.frames.frames import MetricsFrame
from pipecat.metrics.metrics import (
    LLMTokenUsage,
    LLMUsageMetricsData,
    STTUsage,
    STTUsageMetricsData,
    TTFBMetricsData,
    TTSUsageMetricsData,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from functions.call.usage import UsageObserver
from shared.providers.spec import ProviderSpec

STT = ProviderSpec(kind="stt", name="deepgram", model="nova-3")
LLM = ProviderSpec(kind="llm", name="openai")
TTS = ProviderSpec(kind="tts", name="elevenlabs")


async def push(observer: UsageObserver, frame: MetricsFrame, *, first: bool = True) -> None:
    source, destination = FrameProcessor(), FrameProcessor()
    await observer.on_push_frame(
        FramePushed(source, destination, frame, FrameDirection.DOWNSTREAM, 0, first)
    )


async def test_deltas_are_summed_per_provider_and_counted_once() -> None:
    observer = UsageObserver({"stt#0": STT, "llm#0": LLM, "tts#0": TTS})
    stt = MetricsFrame(
        data=[STTUsageMetricsData(processor="stt#0", value=STTUsage(audio_seconds=1.25))]
    )
    tokens = LLMTokenUsage(prompt_tokens=100, completion_tokens=20, total_tokens=120)
    llm = MetricsFrame(
        data=[LLMUsageMetricsData(processor="llm#0", model="gpt-4o-mini", value=tokens)]
    )
    tts = MetricsFrame(data=[TTSUsageMetricsData(processor="tts#0", value=42)])
    for frame in (stt, stt, llm, llm, tts):
        await push(observer, frame)
        await push(observer, frame, first=False)  # passed on by a later processor
    lines = {line.kind: line for line in observer.usage()}
    assert lines["stt"].audio_seconds == 2.5
    assert lines["stt"].model == "nova-3"  # the bot's pin wins
    assert (lines["llm"].input_tokens, lines["llm"].output_tokens) == (200, 40)
    assert lines["llm"].model == "gpt-4o-mini"  # else what the service reports
    assert lines["tts"].characters == 42


async def test_other_metrics_and_unknown_processors_are_ignored() -> None:
    observer = UsageObserver({"stt#0": STT})
    await push(observer, MetricsFrame(data=[TTFBMetricsData(processor="stt#0", value=0.2)]))
    await push(observer, MetricsFrame(data=[TTSUsageMetricsData(processor="x#9", value=5)]))
    assert observer.usage() == []


def test_processor_names_map_to_provider_labels() -> None:
    observer = UsageObserver({"stt#0": STT})
    assert observer.label("stt#0") == "stt:deepgram/nova-3"
    assert observer.label("unknown#1") == "unknown#1"
