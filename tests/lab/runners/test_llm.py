"""The LLM runner: local-intent replays the synthetic calls offline, tool calls judged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lab.data.manifest import ExpectedToolCall, load_dataset
from lab.runners.llm import LlmRunner, call_matches, system_prompt
from shared.providers.spec import ProviderSpec
from tests.lab.conftest import subset

SYNTHETIC = Path(__file__).resolve().parents[3] / "datasets" / "synthetic_calls"
SPEC = ProviderSpec(kind="llm", name="local-intent")


def test_a_call_matches_on_its_function_and_the_arguments_expected() -> None:
    booking = ExpectedToolCall(name="book", arguments={"name": "John Smith", "time": "15:00"})
    made = {"name": "book", "arguments": {"name": "john  smith", "time": "15:00", "phone": "1"}}
    assert call_matches(booking, made)
    assert not call_matches(booking, {**made, "name": "check"})
    assert not call_matches(booking, {"name": "book", "arguments": {"name": "John Smith"}})
    assert call_matches(ExpectedToolCall(name="end_call"), {"name": "end_call", "arguments": {}})


def test_the_prompt_tells_the_date_of_the_call() -> None:
    [row] = subset(load_dataset(SYNTHETIC), ["booking-monday@clean"]).rows
    assert row.today == date(2026, 11, 19)
    assert system_prompt(row, "Be brief.") == "Be brief.\nToday is Thursday, November 19, 2026."


async def test_local_intent_replays_calls_with_their_tools_offline() -> None:
    runner = LlmRunner()
    dataset = subset(
        load_dataset(SYNTHETIC),
        ["booking-monday@clean", "ticket-triage-calling@clean", "order-processing-returns@clean"],
    )
    async with runner.worker(dataset, SPEC) as worker:
        observed = [(s, await worker.observe(s)) for s in runner.samples(dataset)]
    for sample, observation in observed:
        scores = runner.score(sample, observation)["turns"]
        assert all(turn["calls_ok"] for turn in scores), (sample.id, observation)
        assert all(turn["ttft_s"] is not None and turn["answer_chars"] >= 0 for turn in scores)
    booking = next(o for s, o in observed if s.id == "booking-monday@clean")["turns"]
    # "Monday" resolved against the call's date, through the fixed clock of local-intent.
    assert booking[0]["calls"] == [
        {"name": "check_availability", "arguments": {"date": "2026-11-23", "time": "15:00"}}
    ]
    assert booking[1]["text"].startswith("You're booked, John Smith: Monday, November 23")
    assert booking[1]["input_tokens"] > 0
    assert booking[1]["output_tokens"] > 0 and booking[1]["response_s"] > 0  # tokens/s
