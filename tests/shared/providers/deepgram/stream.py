"""What the Deepgram tests stream: real speech at 8 kHz in 20 ms frames, and call contexts."""

from __future__ import annotations

import numpy as np
from pipecat.frames.frames import Frame, InputAudioRawFrame
from pipecat.pipeline.worker import PipelineParams
from pydantic import SecretStr

from shared.providers.spec import ProviderAccess, ProviderContext

KEY = "dg-test-key"
RATE = 8000
CLIP = "pocketsphinx/sense_and_sensibility_01_austen_64kb-0880.wav"  # "he was not an ill..."
PARAMS = PipelineParams(audio_in_sample_rate=RATE, enable_metrics=True, enable_usage_metrics=True)


def context(url: str | None, key: str | None = KEY, language: str = "en") -> ProviderContext:
    access = ProviderAccess(SecretStr(key) if key else None, url)
    return ProviderContext(sample_rate=RATE, language=language, access=access)


def audio(samples: np.ndarray) -> list[Frame]:
    """Caller audio as the transport passes it on: 20 ms frames at 8 kHz."""
    step = RATE // 50
    return [
        InputAudioRawFrame(audio=samples[i : i + step].tobytes(), sample_rate=RATE, num_channels=1)
        for i in range(0, len(samples), step)
    ]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.int16)
