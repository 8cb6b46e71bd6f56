"""Cold start, measured on this machine: what a Modal media container does, phase by phase.

A child process plays the container of ``modal_app.Media``:

1. process start -> interpreter up (before any of the project is imported),
2. imports: the app, the pipeline and the providers,
3. model load: ``functions.modal.containers.preload`` (every model the embedded bots use, plus
   one Silero VAD and SmartTurn session) -- on Modal the memory snapshot is taken here,
4. restore -> ready: what runs after a snapshot restore (settings, ``media_app``, the ASGI
   startup under uvicorn) until ``GET /ready`` answers 200.

Then this process places calls over the Exotel socket with the simulated caller: the first
call after ready, then a warm one, each timed at the caller's ear (start message -> first
audible greeting, and one turn's voice-to-voice). Modal's own part (placing a container,
mapping the snapshot back into memory) cannot be measured here.
Run: ``make bench-coldstart`` or ``uv run python bench/coldstart.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TURN = ROOT / "datasets" / "demo" / "hours.wav"
BOT = "support-desk"


def process_age_s() -> float:
    """Seconds since this process started (Linux: /proc/self/stat, 10 ms resolution)."""
    started = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started / os.sysconf("SC_CLK_TCK")


def container(port: int) -> None:
    """The child: the container's phases, one JSON line of timings, then serve until stopped."""
    up = process_age_s()
    started = time.perf_counter()
    import httpx
    import uvicorn

    from functions.modal.containers import media_app, preload
    from shared.settings import Settings

    imports = time.perf_counter() - started
    models = preload(Settings())
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    restored = time.perf_counter()  # a snapshot restore resumes here
    app = media_app(Settings(), None, models)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))

    async def serve() -> None:
        serving = asyncio.create_task(server.serve())
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.005)
        ready = time.perf_counter() - restored
        phases = {"up": up, "imports": imports, "models": models, "restore_to_ready": ready}
        print(json.dumps(phases | {"start_to_ready": process_age_s(), "rss_mb": rss_mb}))
        sys.stdout.flush()
        await serving

    asyncio.run(serve())


async def call(url: str) -> dict[str, float | None]:
    import numpy as np

    from lab.caller.report import FRAME_MS, audible
    from lab.caller.session import place_call

    report = await place_call("exotel", url, [TURN], BOT, transcribe=False)
    bot = report.audio[:, 1]
    frames = [bot[i : i + 160] for i in range(0, len(bot), 160)]
    greeting = next((i for i, frame in enumerate(frames) if audible(np.asarray(frame))), None)
    v2v = report.turns[0].v2v_ms if report.turns else None
    return {"greeting_ms": None if greeting is None else greeting * FRAME_MS, "v2v_ms": v2v}


def one_round(workdir: Path) -> dict[str, Any]:
    from lab.local_server import free_port

    port = free_port()
    env = os.environ | {"VOXCORE_DATA_DIR": str(workdir / "var"), "PYTHONUNBUFFERED": "1"}
    log = (workdir / "container.log").open("ab")
    child = subprocess.Popen(
        [sys.executable, __file__, "--container", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise SystemExit(f"the container exited: see {workdir / 'container.log'}")
        phases: dict[str, Any] = json.loads(line)
        url = f"ws://127.0.0.1:{port}/ws/exotel"
        phases["first"] = asyncio.run(call(url))
        phases["warm"] = asyncio.run(call(url))
        return phases
    finally:
        child.terminate()
        child.wait(timeout=30)
        log.close()


def median(rounds: list[dict[str, Any]], *path: str) -> float:
    values = []
    for entry in rounds:
        value: Any = entry
        for key in path:
            value = value[key]
        if value is not None:
            values.append(float(value))
    return statistics.median(values) if values else float("nan")


def report(rounds: list[dict[str, Any]]) -> str:
    def ms(*path: str) -> str:
        return f"{median(rounds, *path) * 1000:7.0f} ms"

    def call_ms(*path: str) -> str:
        return f"{median(rounds, *path):7.0f} ms"

    return "\n".join(
        [
            f"cold start of a media container, median of {len(rounds)} (this machine, no Modal)",
            f"  process start -> interpreter up            {ms('up')}",
            f"  imports (app, pipeline, providers)         {ms('imports')}",
            f"  model load (STT, TTS, NLU, VAD, SmartTurn) {ms('models')}",
            "  ---- memory snapshot taken here on Modal; a restore resumes below ----",
            f"  restore -> ready (/ready 200)              {ms('restore_to_ready')}  target 1500",
            f"  process start -> ready, without snapshot   {ms('start_to_ready')}",
            f"  memory after model load (max RSS)          {median(rounds, 'rss_mb'):7.0f} MB",
            "first call after ready vs a warm call (Exotel socket, one caller turn)",
            f"  greeting, first audio at the ear    first {call_ms('first', 'greeting_ms')}"
            f"   warm {call_ms('warm', 'greeting_ms')}",
            f"  voice-to-voice                      first {call_ms('first', 'v2v_ms')}"
            f"   warm {call_ms('warm', 'v2v_ms')}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=1, help="fresh containers to measure")
    parser.add_argument("--json", action="store_true", help="every round's figures as JSON")
    parser.add_argument("--container", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.container:
        container(args.container)
        return
    rounds = []
    with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        for index in range(args.rounds):
            workdir = Path(tmp) / f"round-{index}"
            workdir.mkdir()
            rounds.append(one_round(workdir))
            print(f"round {index + 1}/{args.rounds} done", file=sys.stderr)
    print(json.dumps(rounds, indent=2) if args.json else report(rounds))


if __name__ == "__main__":
    main()
