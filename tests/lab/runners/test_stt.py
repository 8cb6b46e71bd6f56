"""The STT runner on real speech and a synthetic call: text, TTFS anchored like Pipecat's, RTFx."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.data.manifest import load_dataset
from lab.runners.stt import SttRunner, SttSettings
from shared.config.bot import TurnTaking
from shared.providers.spec import ProviderSpec
from tests.lab.conftest import subset

SPEC = ProviderSpec(kind="stt", name="local-whisper")
CLIPS = ["pocketsphinx/goforward", "asterisk-core-en/vm-opts", "pocketsphinx/cards_001"]


async def observe(runner: SttRunner, dataset_path: Path, ids: list[str]) -> list[tuple]:
    dataset = subset(load_dataset(dataset_path), ids)
    async with runner.worker(dataset, SPEC) as worker:
        return [
            (s, o, runner.score(s, o))
            for s in runner.samples(dataset)
            for o in [await worker.observe(s)]
        ]


@pytest.mark.slow
async def test_real_speech_is_transcribed_and_timed_from_the_end_of_speech(
    speech_dir: Path,
) -> None:
    runner = SttRunner(SttSettings())
    results = await observe(runner, speech_dir, CLIPS[:2])
    stop_s = TurnTaking().vad_stop_s
    for sample, observation, scores in results:
        assert scores["wer"] == 0.0, (sample.id, scores["hypothesis"])
        assert scores["digits_ok"] in (True, None)
        assert observation["pace"] == "fast" and observation["errors"] == []
        # TTFS = VAD stop wait + decode, and it is what Pipecat's own STT TTFB reports.
        assert stop_s < observation["ttfs_s"] < stop_s + 3
        assert observation["ttfs_s"] == pytest.approx(observation["pipecat_ttfb_s"], abs=0.01)
        assert observation["compute_s"] < sample.audio_s  # faster than real time
    vm_opts = results[1]
    assert vm_opts[1]["segments"] >= 2  # the prompt's pauses are segments, as live
    assert vm_opts[2]["digits_ok"] is True


@pytest.mark.slow
async def test_realtime_pace_takes_the_audio_s_own_time(speech_dir: Path) -> None:
    runner = SttRunner(SttSettings(pace="realtime"))
    [(sample, observation, scores)] = await observe(runner, speech_dir, CLIPS[2:])
    assert scores["hypothesis"] == "10 of clubs"
    assert observation["pace"] == "realtime"
    assert observation["compute_s"] >= sample.audio_s
    assert observation["ttfs_s"] == pytest.approx(observation["pipecat_ttfb_s"], abs=0.01)


@pytest.mark.slow
async def test_a_call_is_scored_per_caller_turn_or_whole(tiny_calls: Path) -> None:
    dataset = load_dataset(tiny_calls)
    turns = SttRunner(SttSettings()).samples(dataset)
    assert [s.id for s in turns][:2] == ["order@clean#t1", "order@clean#t3"]
    first = dataset.rows[0].turns[1]
    assert first.start_s is not None and first.end_s is not None
    assert turns[0].span == (first.start_s - 0.5, first.end_s + 0.3)
    whole = SttRunner(SttSettings(unit="call", sample_rate=8000))
    [(sample, observation, scores)] = await observe(whole, tiny_calls, ["order@clean"])
    assert sample.span is None and observation["segments"] == 2
    assert scores["reference"] == "where is my order it is 4512"
    assert scores["wer"] <= 0.34, scores["hypothesis"]
