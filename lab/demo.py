"""``voxcore demo``: a real call through the real path, offline, in about a minute.

Starts ``voxcore serve`` on a free local port, places two calls over the Exotel protocol with
caller audio the project made itself (``datasets/demo``), prints each conversation as the
caller heard it with the voice-to-voice latency of every turn, says where the server put the
call result, and stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from lab.caller.session import CallFailed, place_call
from lab.local_server import RunningServer, start_server

DEMO = Path(__file__).resolve().parents[1] / "datasets" / "demo"
CALLS = [
    ("support-desk", ["order_where.wav", "order_number.wav", "goodbye.wav"]),
    ("clinic-booking", ["book_monday.wav", "my_name.wav", "goodbye.wav"]),
]


async def place_demo_calls(server: RunningServer, record_dir: Path) -> int:
    failures = 0
    for bot, turns in CALLS:
        print(f"\n=== calling bot {bot!r} over {server.ws('/ws/exotel')}", flush=True)
        try:
            report = await place_call(
                "exotel",
                server.ws("/ws/exotel"),
                [DEMO / name for name in turns],
                bot,
                record=record_dir / f"{bot}-caller-side.wav",
            )
        except CallFailed as error:
            print(f"call failed: {error}")
            failures += 1
            continue
        print(report.text())
        result = server.result(report.call_id)
        tools = ", ".join(
            f"{call['name']}({', '.join(f'{k}={v!r}' for k, v in call['arguments'].items())})"
            for call in result["tool_calls"]
        )
        print(f"-- tools called: {tools or 'none'}")
        if analysis := result.get("analysis"):
            fields = ", ".join(f"{k}={v!r}" for k, v in analysis["fields"].items())
            print(f"-- disposition: {analysis['disposition']} ({fields or 'no fields'})")
            print(f"-- summary: {analysis['summary']}")
        usage = "; ".join(describe_usage(line) for line in result["usage"])
        print(f"-- usage: {usage}; estimated cost ${result['cost_usd'] or 0:.4f}")
        print(f"-- call result: {server.data_dir / 'results.jsonl'} (call_id {report.call_id})")
        print(f"-- server's recording: {result.get('recording') or 'none'}")
    return failures


def describe_usage(line: dict[str, Any]) -> str:
    if line["kind"] == "stt":
        return f"{line['provider']} {line['audio_seconds']:.1f} s of audio"
    if line["kind"] == "llm":
        return f"{line['provider']} {line['input_tokens']}+{line['output_tokens']} tokens"
    return f"{line['provider']} {line['characters']} characters"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voxcore demo", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("var/demo"))
    args = parser.parse_args(argv)
    # A directory per run: what this run prints (results, recordings, log) is this run's alone.
    workdir = args.workdir / time.strftime("run-%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print("starting voxcore serve (loading Whisper, Piper and the intent model)...", flush=True)
    server = start_server(workdir, log_level="warning")
    print(f"ready in {time.perf_counter() - started:.1f} s at {server.http}", flush=True)
    try:
        failures = asyncio.run(place_demo_calls(server, workdir / "recordings"))
    finally:
        server.stop()
    print(f"\nserver log: {server.log_path}; done in {time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
