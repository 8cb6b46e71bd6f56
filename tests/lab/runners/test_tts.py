"""The TTS runner: time to first audible audio counts leading silence; Piper round-trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lab import registry
from lab.data.manifest import load_dataset
from lab.replay import replay
from lab.runners.tts import TtsRunner, TtsSettings
from lab.runners.tts_stream import Spoken, first_audible, timings
from lab.store import ResultStore
from shared.providers.spec import ProviderSpec

RATE = 8000
SPEC = ProviderSpec(kind="tts", name="local-piper")


def tone(seconds: float) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).tobytes()


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


def test_leading_silence_delays_the_first_audible_audio() -> None:
    # The first chunk arrives at 0.1 s but holds 0.3 s of silence before the voice starts.
    spoken = Spoken(sent_at=0.0, chunks=[(0.1, silence(0.3) + tone(0.2)), (0.15, tone(0.5))])
    measured = timings(spoken, RATE)
    assert measured["first_byte_s"] == pytest.approx(0.1)
    assert measured["leading_silence_s"] == pytest.approx(0.3)
    assert measured["ttfa_s"] == pytest.approx(0.4)  # played 0.3 s after the first byte
    assert measured["synth_s"] == pytest.approx(0.15)


def test_audio_that_arrives_late_is_heard_when_it_arrives() -> None:
    # A silent first chunk, then the voice 0.5 s later: playback cannot run ahead of arrival.
    spoken = Spoken(sent_at=0.0, chunks=[(0.1, silence(0.1)), (0.6, tone(0.3))])
    assert timings(spoken, RATE)["ttfa_s"] == pytest.approx(0.6)


def test_silence_only_has_no_audible_audio() -> None:
    spoken = Spoken(sent_at=0.0, chunks=[(0.1, silence(1.0))])
    assert first_audible(spoken.audio(), RATE) is None
    assert timings(spoken, RATE)["ttfa_s"] is None
    assert timings(Spoken(), RATE)["first_byte_s"] is None


@pytest.mark.slow
async def test_piper_lines_are_timed_understood_and_kept(tiny_calls: Path, tmp_path: Path) -> None:
    dataset = load_dataset(tiny_calls)
    runner = TtsRunner(TtsSettings(audio_dir=tmp_path / "audio"))
    samples = runner.samples(dataset)
    # Every bot line of both rows (clean and 10 dB): the same three lines twice.
    assert len(samples) == 6 and len({s.inputs["text"] for s in samples}) == 3
    run = await replay(dataset, SPEC, runner, ResultStore(tmp_path / "results"), progress=False)
    assert run.progress.computed == 3 and run.progress.failed == 0  # each line spoken once
    for result in run.results:
        seen = result.observation
        assert seen["errors"] == []
        assert 0 < seen["first_byte_s"] <= seen["ttfa_s"] < 2.0
        assert seen["ttfa_s"] >= seen["first_byte_s"] + seen["leading_silence_s"] - 0.001
        assert 0 < seen["synth_s"] < seen["audio_s"]  # faster than real time
        assert Path(seen["audio_path"]).exists()
        assert result.cost_usd == 0.0  # priced per character, at Piper's price
    heard = {r.scores["reference"]: r.scores["hypothesis"] for r in run.results}
    assert heard["what is your order number"] == "what is your order number"
    round_trip = registry.metric("round_trip_wer").compute(run.results)
    assert round_trip is not None and round_trip < 0.4  # "Acme" is hard for Whisper tiny
    again = await replay(dataset, SPEC, runner, ResultStore(tmp_path / "results"), progress=False)
    assert again.progress.computed == 0 and again.progress.cached == 6


def test_a_runner_refuses_another_runner_s_settings() -> None:
    from lab.runners.stt import SttSettings

    with pytest.raises(TypeError, match="tts takes TtsSettings"):
        TtsRunner(SttSettings())
    assert TtsRunner().settings == TtsSettings()
