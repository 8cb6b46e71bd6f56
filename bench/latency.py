"""Voice-to-voice latency over the Exotel path with the offline providers.

Starts ``voxcore serve``, places calls with the simulated caller (real human speech and the
project's demo turns), and prints p50/p95 voice-to-voice latency measured at the caller's ear
(end of caller speech -> first audible bot audio), then how the server's side of each turn
splits, from Pipecat's latency breakdown: VAD stop wait, turn decision, STT, LLM, TTS first
audio. Run: ``make bench-latency`` or ``uv run python bench/latency.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from lab.caller.session import place_call
from lab.local_server import start_server
from shared.results import read_results

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "datasets" / "demo"
SPEECH = ROOT.parent / "shared" / "speech"

# (bot, caller turns): every turn expects a spoken answer, so every turn is measured.
FLOWS: list[tuple[str, list[Path]]] = [
    ("support-desk", [DEMO / "order_where.wav", DEMO / "order_number.wav", DEMO / "hours.wav"]),
    ("clinic-booking", [DEMO / "book_monday.wav", DEMO / "my_name.wav", DEMO / "hours.wav"]),
    (
        "support-desk",
        [
            SPEECH / "asterisk-core-en/confbridge-lock-no-join.wav",
            SPEECH / "pocketsphinx/cards_004.wav",
            SPEECH / "asterisk-core-en/vm-mismatch.wav",
            SPEECH / "pocketsphinx/cards_001.wav",
        ],
    ),
]
# Pipecat's breakdown keys, in the order a turn spends them.
PARTS = {
    "endpointing_wait": "VAD stop wait",
    "turn_detection": "turn decision",
    "transcription": "STT",
    "llm_inference": "LLM",
    "speech_synthesis": "TTS first audio",
    "pipeline": "pipeline",
}


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    array = np.asarray(values)
    return {
        "n": len(values),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
    }


async def caller_latencies(rounds: int, url: str) -> list[float]:
    v2v: list[float] = []
    for round_index in range(rounds):
        for bot, turns in FLOWS:
            report = await place_call("exotel", url, turns, bot, transcribe=False)
            v2v += [t.v2v_ms for t in report.turns if t.v2v_ms is not None]
            print(f"round {round_index + 1}/{rounds} {bot}: {report.close_reason}", file=sys.stderr)
    return v2v


def summarize(v2v: list[float], results: Path) -> dict[str, Any]:
    parts: dict[str, list[float]] = {key: [] for key in PARTS}
    for result in read_results(results):
        for turn in result["latency"]:
            for key in PARTS:
                parts[key].append(turn["parts_ms"].get(key, 0.0))
    return {
        "v2v_at_caller_ms": percentiles(v2v),
        "server_parts_ms": {PARTS[key]: percentiles(values) for key, values in parts.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server(Path(workdir), log_level="warning")
        try:
            v2v = asyncio.run(caller_latencies(args.rounds, server.ws("/ws/exotel")))
            summary = summarize(v2v, server.data_dir / "results.jsonl")
        finally:
            server.stop()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    caller = summary["v2v_at_caller_ms"]
    print(
        f"voice-to-voice at the caller's ear, Exotel 8 kHz, offline providers ({caller['n']} turns)"
    )
    print(f"  p50 {caller['p50']:.0f} ms   p95 {caller['p95']:.0f} ms   max {caller['max']:.0f} ms")
    print("server side of each turn (Pipecat latency breakdown):")
    for label, stats in summary["server_parts_ms"].items():
        print(f"  {label:<16} p50 {stats['p50']:6.0f} ms   p95 {stats['p95']:6.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
