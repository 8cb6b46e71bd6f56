"""A real ``voxcore serve`` process on 127.0.0.1, for the demo, the benchmarks and tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shared.results import read_results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def results(self) -> list[dict[str, Any]]:
        return read_results(self.data_dir / "results.jsonl")

    def result(self, call_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for result in self.results():
                if result["call_id"] == call_id:
                    return result
            time.sleep(0.1)
        raise AssertionError(f"no result for call {call_id}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the server, with every process in its group when it leads its own."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                if os.getpgid(self.process.pid) == self.process.pid:
                    os.killpg(self.process.pid, signal.SIGKILL)
                else:
                    self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    workdir: Path,
    env: dict[str, str] | None = None,
    *,
    log_level: str = "info",
    own_group: bool = False,
) -> RunningServer:
    """Start ``voxcore serve`` on a free port and wait until it reports ready.

    A server started again in the same ``workdir`` keeps its data (outbox, recordings) and
    appends to its log. ``own_group`` starts it in a process group of its own, which
    :meth:`RunningServer.kill` then SIGKILLs whole (a Ctrl-C of the caller no longer reaches it).
    """
    port = free_port()
    data_dir = workdir / "var"
    log_path = workdir / "server.log"
    environment = {**os.environ, "VOXCORE_DATA_DIR": str(data_dir), **(env or {})}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voxcore",
                "serve",
                "--port",
                str(port),
                "--log-level",
                log_level,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=own_group,
        )
    server = RunningServer(process, port, data_dir, log_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.http}/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server not ready in time:\n{server.log()}")
