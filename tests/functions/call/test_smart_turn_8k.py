"""SmartTurn v3 at telephone rates (pipecat#3844: 8 kHz input once broke it silently).

The model was trained on 16 kHz audio. Fed 8 kHz audio it must give the same verdicts as on
the same speech at 16 kHz: complete utterances complete, utterances cut mid-sentence not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3

from shared.audio import load_mono, to_float

# (clip, fraction kept, complete?) — the cuts end mid-sentence.
CASES = [
    ("asterisk-core-en/confbridge-lock-no-join.wav", 1.0, True),
    ("asterisk-core-en/vm-mismatch.wav", 1.0, True),
    ("asterisk-core-en/vm-mismatch.wav", 0.5, False),
    ("asterisk-core-en/ss-noservice.wav", 0.35, False),
]


def probability(path: Path, keep: float, rate: int) -> float:
    audio = load_mono(path, rate)
    audio = audio[: int(len(audio) * keep)]
    analyzer = LocalSmartTurnAnalyzerV3(sample_rate=rate)
    analyzer.set_sample_rate(rate)
    return float(analyzer._predict_endpoint(to_float(audio))["probability"])


@pytest.mark.parametrize(("clip", "keep", "complete"), CASES)
def test_8k_verdict_matches_16k(speech_dir: Path, clip: str, keep: float, complete: bool) -> None:
    at_8k = probability(speech_dir / clip, keep, 8000)
    at_16k = probability(speech_dir / clip, keep, 16000)
    assert abs(at_8k - at_16k) < 0.1
    assert (at_8k > 0.5) is complete
