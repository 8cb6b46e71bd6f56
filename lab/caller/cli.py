"""``voxcore call``: phone a running VoxCore as Exotel, Twilio or a dialler would, and report.

Exit status: 0 the call ran and ended normally, 1 it could not be placed (no connection,
unreadable audio), 3 the server ended it with an error close code (the report still prints).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from lab.caller.protocols import CARRIERS, new_call_id
from lab.caller.session import CallFailed, CallOptions, place_call

NORMAL_CLOSES = (1000, 1001)


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="voxcore call",
        description="Place a simulated phone call to a VoxCore media socket and report what "
        "the caller heard, with voice-to-voice latency per turn.",
    )
    p.add_argument("--carrier", choices=CARRIERS, required=True, help="wire protocol to speak")
    p.add_argument("--url", required=True, help="e.g. ws://127.0.0.1:8000/ws/exotel")
    p.add_argument("--bot", help="bot id (else the server picks by the dialled number)")
    p.add_argument("--from", dest="from_", default="+15551230000", help="caller number")
    p.add_argument("--to", default="+15557650000", help="dialled number")
    p.add_argument("--call-id", help="carrier call id (default: a fresh one)")
    p.add_argument(
        "--audio", type=Path, action="append", default=[], help="a caller turn (WAV); repeat"
    )
    p.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra custom/stream parameter sent in the start message; repeat",
    )
    p.add_argument("--barge-in", action="store_true", help="talk over each bot reply")
    p.add_argument("--barge-in-after", type=float, default=0.6, metavar="S")
    p.add_argument(
        "--reply-silence",
        type=float,
        default=1.5,
        metavar="S",
        help="bot silence that ends a reply",
    )
    p.add_argument(
        "--answer-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="how long to wait for the bot to start speaking",
    )
    p.add_argument("--timeout", type=float, default=120.0, metavar="S", help="call time limit")
    p.add_argument("--record", type=Path, help="stereo WAV (default var/caller/<call id>.wav)")
    p.add_argument("--no-transcribe", action="store_true", help="skip Whisper on the bot audio")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    call_id = args.call_id or new_call_id(args.carrier)
    options = CallOptions(
        reply_silence_s=args.reply_silence,
        answer_timeout_s=args.answer_timeout,
        barge_in=args.barge_in,
        barge_in_after_s=args.barge_in_after,
        timeout_s=args.timeout,
    )
    try:
        report = asyncio.run(
            place_call(
                args.carrier,
                args.url,
                args.audio,
                args.bot,
                from_=args.from_,
                to=args.to,
                call_id=call_id,
                params=dict(args.param),
                options=options,
                record=args.record or Path("var/caller") / f"{call_id}.wav",
                transcribe=not args.no_transcribe,
            )
        )
    except CallFailed as error:
        print(f"voxcore call: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_json()) if args.json else report.text())
    if report.close_code not in NORMAL_CLOSES:
        reason = f"{report.close_code} {report.close_reason}".strip()
        print(f"voxcore call: the call ended abnormally ({reason})", file=sys.stderr)
        return 3
    return 0
