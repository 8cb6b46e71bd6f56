"""Throughput of batch STT scoring: an hour of 8 kHz audio through the offline model.

The hour is the synthetic call dataset's caller channels (``datasets/synthetic_calls``,
generated first if its audio is missing), repeated until they last an hour: call audio as a
bot receives it, speech and the silences while the bot talks. Each call streams whole
through the live path's VAD and ``local-whisper`` at fast pace (``lab.runners.stt``), and
is scored. ``--shape utterances`` uses the team's real speech clips (``../shared/speech``)
at 8 kHz instead: back-to-back utterances, no gaps, the worst case for Whisper, whose
encoder costs the same ~0.3 s for any segment up to 30 s. Prints wall time, RTFx, WER and
TTFS. Two samples at once by default (``--concurrency``): each decode gets one core, which
scores ~1.5x faster than one decode on both (the live setting, ``--concurrency 1``). Run:
``uv run python bench/lab.py [--minutes 60] [--shape calls|utterances] [--concurrency 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal

# Run as a script, this file's folder leads sys.path and its name would shadow the lab package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from lab import registry  # noqa: E402
from lab.cli import lab_main, log_level  # noqa: E402
from lab.data.manifest import Dataset, load_dataset  # noqa: E402
from lab.replay import replay  # noqa: E402
from lab.runners.base import Sample  # noqa: E402
from lab.runners.stt import SttRunner, SttSettings  # noqa: E402
from shared.providers import registry as providers  # noqa: E402
from shared.providers.spec import ProviderSpec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "datasets" / "synthetic_calls"
SPEECH = ROOT.parent / "shared" / "speech"
SPEC = ProviderSpec(kind="stt", name="local-whisper")


def hour_of(dataset: Dataset, seconds: float) -> Dataset:
    """The dataset's rows, repeated under new ids until they last ``seconds``."""
    rows, total, copy = [], 0.0, 0
    while total < seconds:
        for row in dataset.rows:
            if total >= seconds:
                break
            rows.append(row.model_copy(update={"id": f"{row.id}~{copy}"}))
            total += row.duration_s
        copy += 1
    return Dataset(f"{dataset.name}-x{copy}", dataset.root, rows)


class EveryCopy(SttRunner):
    """Each copy of a row is its own sample: the replay would observe identical ones once."""

    def samples(self, dataset: Dataset) -> list[Sample]:
        return [replace(s, inputs={**s.inputs, "copy": s.id}) for s in super().samples(dataset)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--shape", choices=["calls", "utterances"], default="calls")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="samples at once (1: decodes as live)"
    )
    args = parser.parse_args()
    log_level("warning")
    unit: Literal["turn", "call"]
    if args.shape == "calls":
        if not (SYNTHETIC / "audio").is_dir():
            lab_main(["generate", str(SYNTHETIC)])
        source, unit = load_dataset(SYNTHETIC), "call"
    else:
        source, unit = load_dataset(SPEECH), "turn"
    dataset = hour_of(source, args.minutes * 60)
    audio_s = sum(row.duration_s for row in dataset.rows)
    began = time.perf_counter()
    providers.share_cores(SPEC, args.concurrency)
    providers.preload(SPEC)
    loaded = time.perf_counter()
    settings = SttSettings(unit=unit, sample_rate=8000, concurrency=args.concurrency)
    runner = EveryCopy(settings)
    run = asyncio.run(replay(dataset, SPEC, runner, store=None))
    done = time.perf_counter()
    metric = registry.metric
    print(f"batch STT scoring, {args.shape}: {audio_s / 3600:.2f} h of 8 kHz audio, ")
    print(
        f"  {len(dataset.rows)} files, {len(run.results)} samples, {SPEC.label}, fast pace,"
        f" {args.concurrency} at once"
    )
    print(f"  wall {done - began:.0f} s (model load {loaded - began:.1f} s)")
    print(f"  RTFx {audio_s / (done - loaded):.1f} (audio / wall after load)")
    for name in ("wer", "ttfs_p50_s", "ttfs_p95_s"):
        print(f"  {name} {metric(name).format(metric(name).compute(run.results))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
