"""Make the demo caller turns: the bundled Piper voice (CC0), 8 kHz mono 16-bit WAV.

Each phrase is synthesized, resampled to the telephone rate, trimmed of Piper's own edge
silence and framed by 0.3 s of silence, as a caller's turn reaches a bot. Each file is then
checked with the bundled Whisper: a turn the recognizer cannot get right is no use for
measuring a bot, so the script fails on it.

    .venv/bin/python datasets/demo/make_audio.py [--out DIR] [--no-check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from piper import SynthesisConfig

from shared.audio import read_wav, resample, write_wav

RATE = 8000
PAD_S = 0.3
EDGE = 64  # |sample| below this at the edges counts as Piper's own silence
# No generator noise: the same text gives the same file, so regenerating is reproducible.
# Half scale leaves the headroom a phone line has (Piper normalizes to full scale).
STEADY = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, volume=0.5)

TURNS = {
    "order_where.wav": "Hi, I'd like to know where my order is.",
    "order_number.wav": "It's four five one two.",
    "goodbye.wav": "That's all, thank you. Goodbye.",
    "book_monday.wav": "I'd like to book an appointment for Monday at three pm.",
    "my_name.wav": "My name is John Smith.",
    "hours.wav": "What are your opening hours?",
}
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def synthesize(text: str) -> np.ndarray:
    """The phrase at 8 kHz with exactly ``PAD_S`` of silence either side."""
    from shared.providers.local_piper.voice import piper_voice

    voice = piper_voice()
    chunks = voice.synthesize(text, syn_config=STEADY)
    pcm = np.frombuffer(b"".join(chunk.audio_int16_bytes for chunk in chunks), np.int16)
    audio = resample(pcm, voice.config.sample_rate, RATE)
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) >= EDGE)
    speech = audio[loud[0] : loud[-1] + 1]
    pad = np.zeros(int(PAD_S * RATE), dtype=np.int16)
    return np.concatenate([pad, speech, pad])


def normalize(text: str) -> str:
    """Lowercase words, digits spelled out, punctuation gone: "3 p.m." == "three pm"."""
    text = re.sub(r"\d", lambda m: f" {DIGITS[int(m.group())]} ", text.lower())
    return " ".join(re.sub(r"[^a-z' ]", "", text.replace(".", "")).split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--no-check", action="store_true", help="skip the Whisper check")
    args = parser.parse_args(argv)
    failed = 0
    for name, text in TURNS.items():
        path = write_wav(args.out / name, synthesize(text), RATE)
        if args.no_check:
            print(f"{name}: {text}")
            continue
        from shared.providers.local_whisper.model import transcribe

        written = read_wav(path)  # check what is on disk, as a caller will play it
        heard = transcribe(written.samples, written.sample_rate)
        ok = normalize(heard) == normalize(text)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {text!r} -> heard {heard!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
