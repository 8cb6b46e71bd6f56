"""The ``voxcore`` command: ``serve``, ``call`` (the simulated caller), ``demo``, ``outbox``,
``lab`` (datasets: validate, generate, import) and ``replay`` (datasets through providers).

It sits above ``functions`` and ``lab`` and imports each only for the subcommand that needs it,
so ``voxcore call`` never loads the server and ``voxcore serve`` never loads the lab.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="voxcore serve", description="Run the call server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback bind without VOXCORE_MEDIA_TOKEN (unauthenticated media)",
    )
    args = parser.parse_args(argv)

    import uvicorn
    from loguru import logger

    from functions.app import create_app
    from shared.settings import get_settings

    logger.remove()
    # diagnose=False: tracebacks must not print variable values (a key in a local, say).
    logger.add(sys.stderr, level=args.log_level.upper(), diagnose=False)
    settings = get_settings()
    if not _loopback(args.host) and settings.media_token is None and not args.insecure:
        print(
            "refusing to listen on a public address without VOXCORE_MEDIA_TOKEN "
            "(set it, or pass --insecure)",
            file=sys.stderr,
        )
        return 2
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ws_max_size=4 * settings.max_message_bytes,
        ws_ping_interval=20,
        ws_ping_timeout=20,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "serve": serve,
        "call": _call,
        "demo": _demo,
        "outbox": _outbox,
        "lab": _lab,
        "replay": _replay,
    }
    if not args or args[0] not in commands:
        names = ",".join(commands)
        print(f"usage: voxcore {{{names}}} [options]   (voxcore COMMAND --help)")
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    return commands[args[0]](args[1:])


def _call(argv: list[str]) -> int:
    from lab.caller.cli import main as call_main

    return call_main(argv)


def _demo(argv: list[str]) -> int:
    from lab.demo import main as demo_main

    return demo_main(argv)


def _outbox(argv: list[str]) -> int:
    from shared.outbox.cli import main as outbox_main

    return outbox_main(argv)


def _lab(argv: list[str]) -> int:
    from lab.cli import lab_main

    return lab_main(argv)


def _replay(argv: list[str]) -> int:
    from lab.cli import replay_main

    return replay_main(argv)
