"""``voxcore replay --gate`` fails when a broken scenario lowers tool accuracy; ``voxcore lab``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lab.cli import provider_spec
from shared import scenarios
from shared.scenarios.base import Scenario
from voxcore.cli import main

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC = ROOT / "datasets" / "synthetic_calls"
GATES = ROOT / "datasets" / "gates.yaml"


def without_availability_check(real: Scenario) -> Scenario:
    """The planted regression: bookings no longer check the time is free before the name."""
    intents = tuple(
        dataclasses.replace(i, check=None) if i.name == "book_appointment" else i
        for i in real.intents
    )
    return dataclasses.replace(real, intents=intents)


def replay(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "replay",
        str(SYNTHETIC),
        "--providers",
        "llm:local-intent",
        "--gate",
        str(GATES),
        "--results",
        str(tmp_path / "results"),
        "--quiet",
        *extra,
    ]


@pytest.mark.slow
def test_the_gate_passes_then_fails_on_a_broken_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.json"
    assert main(replay(tmp_path, "--json", str(summary))) == 0
    out = capsys.readouterr().out
    assert "llm:local-intent  (all)" in out
    assert "ok   tool_accuracy llm:local-intent: 97.1% (gate >= 95.1%)" in out
    [run] = json.loads(summary.read_text())["runs"]
    assert run["metrics"]["(all)"]["tool_accuracy"] == pytest.approx(34 / 35)

    real = scenarios.get
    monkeypatch.setattr(
        scenarios,
        "get",
        lambda name: (
            without_availability_check(real(name)) if name == "clinic_booking" else real(name)
        ),
    )
    # The cache keys on source files; a scenario patched in memory is replayed uncached.
    assert main(replay(tmp_path, "--no-cache")) == 1
    assert "FAIL tool_accuracy llm:local-intent: 77.1% (gate >= 95.1%)" in capsys.readouterr().out


def test_validate_exits_non_zero_on_any_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "validate", str(SYNTHETIC / "calls.yaml")]) == 1
    assert "not JSON" in capsys.readouterr().out
    (tmp_path / "manifest.jsonl").write_text('{"id": "x"}\n')
    assert main(["lab", "validate", str(tmp_path)]) == 1
    assert "line 1 (x): audio: Field required" in capsys.readouterr().out


def test_clips_are_imported_where_they_lie(
    speech_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "speech"
    assert main(["lab", "import", "speech", str(speech_dir), "--out", str(out)]) == 0
    first = json.loads((out / "manifest.jsonl").read_text().splitlines()[0])
    assert first["audio"].startswith("../") and (out / first["audio"]).is_file()
    assert not list(out.glob("**/*.wav"))  # nothing copied
    assert main(["lab", "validate", str(out)]) == 0
    assert "no problem(s)" in capsys.readouterr().out


def test_a_regeneration_is_checked_against_the_manifest(tiny_calls: Path) -> None:
    assert main(["lab", "generate", str(tiny_calls), "--check"]) == 0


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("stt:local-whisper", ("stt", "local-whisper", None)),
        ("llm:openai/gpt-4o-mini", ("llm", "openai", "gpt-4o-mini")),
    ],
)
def test_providers_are_named_kind_name_model(text: str, spec: tuple[str, str, str | None]) -> None:
    parsed = provider_spec(text)
    assert (parsed.kind, parsed.name, parsed.model) == spec
