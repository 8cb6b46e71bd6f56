"""``voxcore lab validate|generate|import|notebooks`` and ``voxcore replay``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from lab.data.manifest import ManifestRow, load_dataset, manifest_path, parse_rows, write_rows
from lab.runners.base import Stack, Subject
from lab.store import DEFAULT_ROOT
from shared.providers.spec import ProviderSpec

STACK_KINDS = ("stt", "llm", "tts")
TIME_TOLERANCE_S = 0.02


def log_level(level: str) -> None:
    """Pipecat logs every VAD event and metric at DEBUG: a replay keeps warnings only."""
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level=level.upper(), diagnose=False)


def provider_spec(text: str) -> Subject:
    """``stt:local-whisper``, ``llm:openai/gpt-4o-mini``, or a whole call's providers:
    ``e2e:local-whisper+local-intent+local-piper`` (STT+LLM+TTS), ``e2e:bots`` (the bots')."""
    kind, _, rest = text.partition(":")
    if kind == "e2e":
        if rest in ("", "bots"):
            return Stack()
        parts = rest.split("+")
        if len(parts) != len(STACK_KINDS):
            raise argparse.ArgumentTypeError(f"{text!r}: expected e2e:STT+LLM+TTS or e2e:bots")
        specs = [provider_spec(f"{k}:{part}") for k, part in zip(STACK_KINDS, parts, strict=True)]
        return Stack(providers=tuple(s for s in specs if isinstance(s, ProviderSpec)))
    name, _, model = rest.partition("/")
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KIND:NAME[/MODEL]")
    return ProviderSpec.model_validate({"kind": kind, "name": name, "model": model or None})


def _near(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_near(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_near(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= TIME_TOLERANCE_S
    return bool(a == b)


def drift(committed: list[ManifestRow], made: list[ManifestRow]) -> list[str]:
    """Rows a regeneration did not reproduce (times may move by ``TIME_TOLERANCE_S``)."""
    if [r.id for r in committed] != [r.id for r in made]:
        return [
            "the rows differ: "
            + ", ".join(sorted({r.id for r in committed} ^ {r.id for r in made}))
        ]
    return [
        a.id
        for a, b in zip(committed, made, strict=True)
        if not _near(a.model_dump(mode="json"), b.model_dump(mode="json"))
    ]


def _validate(args: argparse.Namespace) -> int:
    from lab.data.validate import validate

    problems = validate(args.dataset)
    for problem in problems:
        print(problem)
    print(f"{manifest_path(args.dataset)}: {len(problems) or 'no'} problem(s)")
    return 1 if problems else 0


def _generate(args: argparse.Namespace) -> int:
    from lab.data.synthetic import generate

    rows = generate(args.dataset, args.out)
    manifest = manifest_path(args.out or args.dataset)
    if args.check:
        drifted = drift(parse_rows(manifest), rows)
        for line in drifted:
            print(f"not reproduced: {line}")
        print(f"{len(rows)} calls regenerated; manifest {'differs' if drifted else 'reproduced'}")
        return 1 if drifted else 0
    write_rows(manifest, rows)
    print(f"{len(rows)} calls, {sum(r.duration_s for r in rows) / 60:.1f} min -> {manifest}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from lab.data import importers

    skipped: list[str] = []
    if args.format == "speech":
        rows = importers.speech_rows(manifest_path(args.source), args.out)
    else:
        rows, skipped = importers.import_calls(
            args.source,
            args.out,
            recordings=args.recordings,
            bots_dir=args.bots_dir,
            copy=not args.link,
        )
    for line in skipped:
        print(f"skipped {line}")
    print(f"{len(rows)} rows -> {write_rows(manifest_path(args.out), rows)}")
    return 0


def lab_main(argv: list[str]) -> int:
    if argv[:1] == ["notebooks"]:
        from lab.notebooks import main

        return main(argv[1:])
    parser = argparse.ArgumentParser(prog="voxcore lab", description="Lab datasets.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="report every problem of every row")
    validate.add_argument("dataset", type=Path)
    validate.set_defaults(run=_validate)
    generate = commands.add_parser("generate", help="synthesize a scripted dataset's audio")
    generate.add_argument("dataset", type=Path, help="a folder with calls.yaml")
    generate.add_argument("--out", type=Path, help="write here instead (default: the folder)")
    generate.add_argument("--check", action="store_true", help="fail if the manifest drifts")
    generate.set_defaults(run=_generate)
    imports = commands.add_parser("import", help="a dataset from clips or VoxCore calls")
    imports.add_argument("format", choices=["speech", "calls"])
    imports.add_argument("source", type=Path, help="a clip manifest, or results.jsonl")
    imports.add_argument("--out", type=Path, required=True)
    imports.add_argument("--recordings", type=Path, help="where the calls' WAVs are")
    imports.add_argument("--bots-dir", type=Path, default=Path("shared/config/bots"))
    imports.add_argument("--link", action="store_true", help="point at the WAVs, do not copy")
    imports.set_defaults(run=_import)
    # Listed for --help; its own parser (lab.notebooks) takes its arguments.
    commands.add_parser("notebooks", help="execute the notebooks headless, as CI does")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    log_level(args.log_level)
    code: int = args.run(args)
    return code


def replay_main(argv: list[str]) -> int:
    from lab import gate, registry, report
    from lab.replay import replay
    from lab.runners.e2e import E2eSettings
    from lab.runners.llm import LlmSettings
    from lab.runners.stt import SttSettings
    from lab.runners.tts import TtsSettings
    from lab.store import ResultStore

    parser = argparse.ArgumentParser(prog="voxcore replay", description="Replay a dataset.")
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--providers", required=True, help="KIND:NAME[/MODEL],...")
    parser.add_argument("--gate", type=Path, help="gates.yaml: exit 1 when one fails")
    parser.add_argument("--name", help="the dataset's name (default: its folder's)")
    parser.add_argument("--rate", type=int, help="stream audio at this rate (8000: telephone)")
    parser.add_argument("--pace", choices=["fast", "realtime"], default="fast")
    parser.add_argument("--unit", choices=["turn", "call"], default="turn")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only the dataset's first N rows")
    parser.add_argument("--server", help="e2e: place calls at this server (ws://host:port)")
    parser.add_argument("--results", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    log_level(args.log_level)
    specs = [provider_spec(text) for text in args.providers.split(",")]
    gates = gate.Gates.load(args.gate) if args.gate else None
    dataset = load_dataset(args.dataset, args.name, limit=args.limit)
    settings: dict[str, Any] = {
        "stt": SttSettings(
            pace=args.pace, unit=args.unit, sample_rate=args.rate, concurrency=args.concurrency
        ),
        "llm": LlmSettings(concurrency=args.concurrency),
        "tts": TtsSettings(sample_rate=args.rate or 8000, concurrency=args.concurrency),
        "e2e": E2eSettings(server=args.server, concurrency=args.concurrency),
    }
    store = None if args.no_cache else ResultStore(args.results)
    runs = []
    for spec in specs:
        runner = registry.runner_class(spec.kind)(settings[spec.kind])
        run = asyncio.run(replay(dataset, spec, runner, store, progress=not args.quiet))
        runs.append(run)
        print(report.table(run), end="\n\n")
    verdicts = gate.check(gates, runs) if gates else []
    for verdict in verdicts:
        print(verdict)
    if args.json:
        summary = {
            "runs": [report.summary(run) for run in runs],
            "gates": [str(v) for v in verdicts],
        }
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    failed = any(not v.passed for v in verdicts) or any(r.progress.failed for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(replay_main(sys.argv[1:]))
