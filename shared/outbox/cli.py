"""``python -m shared.outbox``: inspect the outbox, replay dead letters, run the deliverer.

``list`` prints metadata only (id, kind, key, state, attempts, error): payloads hold
caller data and stay out of terminals and logs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from collections.abc import Sequence

from pydantic import SecretStr

from shared.outbox.sinks import HttpSink
from shared.outbox.store import STATES, SqliteOutbox
from shared.outbox.worker import OutboxWorker

SECRET_ENV = "VOXCORE_BRIDGE_SECRET"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.outbox", description=__doc__)
    parser.add_argument("--db", required=True, help="path of the SQLite outbox")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="messages, one JSON object a line")
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--limit", type=int, default=1000)
    replay = commands.add_parser("replay", help="dead messages back to pending")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", dest="ids")
    which.add_argument("--all-dead", action="store_true")
    deliver = commands.add_parser("deliver", help=f"POST due messages (secret from ${SECRET_ENV})")
    deliver.add_argument("--url", required=True)
    deliver.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    deliver.add_argument("--timeout", type=float, default=10.0, help="seconds per POST")
    deliver.add_argument("--lease", type=float, default=60.0, help="seconds a claim is held")
    deliver.add_argument("--poll", type=float, default=0.5)
    deliver.add_argument("--max-age", type=float, default=86400.0)
    return parser


def _list(store: SqliteOutbox, state: str | None, limit: int) -> int:
    for message in store.list(state, limit=limit):  # type: ignore[arg-type]
        row = {
            "id": message.id,
            "kind": message.kind,
            "idempotency_key": message.idempotency_key,
            "state": message.state,
            "attempts": message.attempts,
            "created_at": message.created_at,
            "next_attempt_at": message.next_attempt_at,
            "last_error": message.last_error,
        }
        print(json.dumps(row))
    return 0


async def _deliver(store: SqliteOutbox, args: argparse.Namespace, secret: SecretStr) -> int:
    sink = HttpSink(args.url, secret, timeout=args.timeout)
    worker = OutboxWorker(store, sink, lease_s=args.lease, poll_s=args.poll, max_age_s=args.max_age)
    try:
        if args.once:
            while await worker.run_once():  # failures are rescheduled later, so this ends
                pass
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.run_forever(stop)
        return 0
    finally:
        await sink.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = SqliteOutbox(args.db)
    try:
        if args.command == "list":
            return _list(store, args.state, args.limit)
        if args.command == "replay":
            count = store.replay(None if args.all_dead else args.ids)
            print(f"replayed {count}")
            return 0
        secret = os.environ.get(SECRET_ENV)
        if not secret:
            print(f"{SECRET_ENV} is not set")
            return 2
        return asyncio.run(_deliver(store, args, SecretStr(secret)))
    finally:
        store.close()
