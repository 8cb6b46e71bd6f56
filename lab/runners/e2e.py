"""The end-to-end runner: each dataset call placed against a running VoxCore server.

The simulated caller (:mod:`lab.caller`) dials the server's Exotel socket, speaks the row's
caller turns (cut from its caller channel) on a 20 ms clock, waits for each reply and hangs up
after the last; voice-to-voice latency per turn is measured at its ear, from the end of the
caller's speech to the first audible bot audio. That is the number a caller lives with:
VAD stop wait, turn decision, STT, LLM and TTS first audio, and the line, all in one.

Without ``server`` the runner starts ``voxcore serve`` locally, with every bot's providers
replaced by the stack's (``Stack.providers``; none: the bots as configured), so one stack at a
time is measured on the same calls. Calls run in real time: about a minute of wall clock per
call, so notebooks and CI take a few rows (``--limit``).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from lab.caller.session import CallOptions, place_call
from lab.data.manifest import Dataset
from lab.local_server import RunningServer, start_server
from lab.runners.base import Observation, Runner, RunnerSettings, Sample, Scores, Stack
from lab.runners.stt import caller_audio, file_sha256
from shared.audio import write_wav
from shared.results import ProviderUsage
from shared.settings import get_settings

RATE = 8000
PAD_S = 0.2  # around each caller turn, so its onset and tail are on the line
RESULT_TIMEOUT_S = 30.0  # a call's result is written once its post-call work is done


@dataclass(frozen=True)
class E2eSettings(RunnerSettings):
    server: str | None = None  # a running server's ws(s)://host:port; None: start one here
    carrier: str = "exotel"
    reply_silence_s: float = 1.5  # the caller takes a reply as over after this much silence


def bots_for(stack: Stack, out: Path) -> dict[str, str]:
    """Writes the configured bots to ``out``, their providers replaced by the stack's
    (fallbacks dropped: a measurement of one stack must not fail over to another); returns
    which bot runs each scenario."""
    out.mkdir(parents=True, exist_ok=True)
    scenario_bots: dict[str, str] = {}
    for path in sorted(get_settings().bots_dir.glob("*.yaml")):
        bot: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for spec in stack.providers:
            bot[spec.kind] = spec.model_dump(mode="json", exclude_defaults=True)
            bot.setdefault("fallbacks", {}).pop(spec.kind, None)
        (out / path.name).write_text(yaml.safe_dump(bot, sort_keys=False), encoding="utf-8")
        scenario_bots.setdefault(bot["scenario"], bot["id"])
    return scenario_bots


class E2eRunner(Runner[Stack]):
    name = "e2e"
    kind = "e2e"
    version = 1
    settings_type = E2eSettings
    settings: E2eSettings
    metrics = ("v2v_p50_s", "v2v_p95_s", "answered_rate", "cost_per_hour_usd")
    code = ("functions",)

    def samples(self, dataset: Dataset) -> list[Sample]:
        samples = []
        for row in dataset.rows:
            turns = row.caller_turns
            if row.scenario is None or not turns or any(t.start_s is None for t in turns):
                continue
            path = dataset.audio_path(row)
            stat = path.stat()
            inputs = {
                "sha256": file_sha256(path, stat.st_size, stat.st_mtime_ns),
                "scenario": row.scenario,
                "spans": [[t.start_s, t.end_s] for t in turns],
                "carrier": self.settings.carrier,
                "server": self.settings.server,
            }
            samples.append(Sample(row.id, row, row.duration_s, inputs))
        return samples

    @asynccontextmanager
    async def worker(self, dataset: Dataset, spec: Stack) -> AsyncIterator[E2eWorker]:
        with tempfile.TemporaryDirectory(prefix="voxcore-e2e-") as workdir:
            bots_dir = Path(workdir) / "bots"
            bots = bots_for(spec, bots_dir)
            if self.settings.server:
                if spec.providers:
                    raise ValueError(
                        f"{spec.label}: a running server's bots are measured as configured;"
                        " use e2e:bots with --server"
                    )
                yield E2eWorker(self.settings, dataset, self.settings.server, bots)
                return
            env = {"VOXCORE_BOTS_DIR": str(bots_dir)}
            server = start_server(Path(workdir), env, log_level="warning")
            try:
                yield E2eWorker(self.settings, dataset, server.ws(""), bots, server)
            finally:
                server.stop()

    def score(self, sample: Sample, observation: Observation) -> Scores:
        turns = observation.get("turns", [])
        spoken = [t for t in turns if t.get("completed")]
        return {
            "turns": len(sample.row.caller_turns),
            "spoken": len(spoken),
            "answered": sum(1 for t in spoken if t.get("v2v_ms") is not None),
        }

    def usage(self, sample: Sample, observation: Observation, spec: Stack) -> list[ProviderUsage]:
        """The server's own usage for the call, from its result (what it would bill)."""
        return [ProviderUsage.model_validate(u) for u in observation.get("usage", [])]


class E2eWorker:
    """Places one call at a time; with a local server, its result adds the server's side
    (usage, Pipecat's latency breakdown per turn)."""

    def __init__(
        self,
        settings: E2eSettings,
        dataset: Dataset,
        base: str,
        bots: dict[str, str],
        server: RunningServer | None = None,
    ) -> None:
        self.settings, self.dataset, self.base, self.bots = settings, dataset, base, bots
        self.server = server

    async def observe(self, sample: Sample) -> Observation:
        row, settings = sample.row, self.settings
        bot = self.bots.get(sample.inputs["scenario"])
        if bot is None:
            raise LookupError(f"no bot runs scenario {sample.inputs['scenario']!r}")
        with tempfile.TemporaryDirectory(prefix="voxcore-turns-") as folder:
            wavs = []
            for index, (start, end) in enumerate(sample.inputs["spans"]):
                span = (max(0.0, start - PAD_S), min(row.duration_s, end + PAD_S))
                audio = caller_audio(self.dataset.audio_path(row), span, RATE)
                wavs.append(write_wav(Path(folder) / f"turn{index}.wav", audio, RATE))
            url = f"{self.base}/ws/{settings.carrier}"
            token = get_settings().media_token  # a server that wants one gets this process's
            if token is not None:
                url += f"?token={quote(token.get_secret_value())}"
            options = CallOptions(reply_silence_s=settings.reply_silence_s)
            report = await place_call(
                settings.carrier, url, wavs, bot, options=options, transcribe=False
            )
        result = (
            await asyncio.to_thread(self.server.result, report.call_id, RESULT_TIMEOUT_S)
            if self.server
            else {}
        )
        return {
            "call_id": report.call_id,
            "bot": bot,
            "turns": [
                {"completed": t.completed, "v2v_ms": t.v2v_ms, "overlap_ms": t.overlap_ms}
                for t in report.turns
            ],
            "duration_s": report.duration_s,
            "close": {"code": report.close_code, "reason": report.close_reason},
            "errors": report.errors,
            "usage": result.get("usage", []),
            "server_latency": result.get("latency", []),
        }
