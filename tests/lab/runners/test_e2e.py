"""The end-to-end runner: real calls to a real server, voice to voice at the caller's ear."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from lab.cli import provider_spec
from lab.data.manifest import load_dataset
from lab.replay import replay
from lab.runners.base import Stack
from lab.runners.e2e import E2eRunner, E2eSettings, bots_for
from lab.store import ResultStore
from shared.providers.spec import ProviderSpec
from shared.settings import get_settings


def test_a_stack_replaces_every_bot_s_providers_and_drops_fallbacks(tmp_path: Path) -> None:
    stack = provider_spec("e2e:fake+local-intent+fake")
    assert isinstance(stack, Stack) and stack.label == "e2e:fake+local-intent+fake"
    scenario_bots = bots_for(stack, tmp_path / "bots")
    bot = yaml.safe_load((tmp_path / "bots" / "support-desk.yaml").read_text())
    assert bot["stt"] == {"kind": "stt", "name": "fake"}
    assert bot["llm"] == {"kind": "llm", "name": "local-intent"}
    assert not bot.get("fallbacks", {}).get("stt")
    assert scenario_bots == {"support_desk": "support-desk", "clinic_booking": "clinic-booking"}
    assert provider_spec("e2e:bots") == Stack() and Stack().label == "e2e:bots"


def test_a_stack_needs_all_three_kinds() -> None:
    with pytest.raises(Exception, match="expected e2e:STT\\+LLM\\+TTS"):
        provider_spec("e2e:local-whisper+local-intent")


@pytest.fixture
def media_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server demands a media token (it inherits the environment); the runner has it."""
    monkeypatch.setenv("VOXCORE_MEDIA_TOKEN", "e2e-token-1234567890")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.slow
async def test_a_call_is_placed_and_timed_at_the_caller_s_ear(
    tiny_calls: Path, tmp_path: Path, media_token: None
) -> None:
    dataset = load_dataset(tiny_calls)
    dataset = replace(dataset, rows=[r for r in dataset.rows if r.source == "synthetic-clean"])
    stack = Stack(
        providers=(
            ProviderSpec(kind="stt", name="local-whisper"),
            ProviderSpec(kind="llm", name="local-intent"),
            ProviderSpec(kind="tts", name="local-piper"),
        )
    )
    store = ResultStore(tmp_path / "results")
    run = await replay(dataset, stack, E2eRunner(), store, progress=False)
    [result] = run.results
    assert result.error is None, result.error
    assert result.scores == {"turns": 2, "spoken": 2, "answered": 2}
    for turn in result.observation["turns"]:
        assert 0.2 < turn["v2v_ms"] / 1000 < 4.0
    # The server's side: its usage (priced) and its latency breakdown of each turn.
    assert {u["kind"] for u in result.observation["usage"]} == {"stt", "llm", "tts"}
    assert result.cost_usd == 0.0
    assert len(result.observation["server_latency"]) >= 2
    again = await replay(dataset, stack, E2eRunner(), store, progress=False)
    assert again.progress.cached == 1 and again.progress.computed == 0  # no server, no call


async def test_a_running_server_is_measured_with_its_own_bots(tiny_calls: Path) -> None:
    stack = provider_spec("e2e:local-whisper+local-intent+local-piper")
    runner = E2eRunner(E2eSettings(server="ws://127.0.0.1:9"))
    with pytest.raises(ValueError, match="use e2e:bots with --server"):
        await replay(load_dataset(tiny_calls), stack, runner, None, progress=False)
