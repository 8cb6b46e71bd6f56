"""The support_desk scenario: registry, fake backends, reply templates and declarations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared import scenarios
from shared.scenarios.base import END_CALL, Intent, Slot
from shared.scenarios.support_desk import SCENARIO, get_order_status, open_ticket


def test_registry_knows_both_scenarios() -> None:
    assert scenarios.names() == ["clinic_booking", "support_desk"]
    assert scenarios.get("support_desk") is SCENARIO


def test_an_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(scenarios.UnknownScenarioError, match="clinic_booking, support_desk"):
        scenarios.get("pizza")
    assert issubclass(scenarios.UnknownScenarioError, LookupError)


def test_tools_schema_advertises_the_tools_and_end_call() -> None:
    schema = SCENARIO.tools_schema()
    names = [tool.name for tool in schema.standard_tools]
    assert names == ["get_order_status", "open_ticket", END_CALL]
    ticket = schema.standard_tools[1]
    assert ticket.properties["category"]["enum"] == [
        "conference", "voicemail", "calling", "billing", "internet", "other",
    ]  # fmt: skip
    assert schema.standard_tools[2].required == ["reason"]
    assert SCENARIO.tool("open_ticket") is open_ticket
    with pytest.raises(KeyError, match="no tool 'refund'"):
        SCENARIO.tool("refund")


def test_the_prompt_tells_a_real_llm_when_to_use_each_tool() -> None:
    for name in ("get_order_status", "open_ticket", "end_call", "extension"):
        assert name in SCENARIO.prompt


async def test_order_lookup_normalizes_the_number_and_reports_unknown_ones() -> None:
    found = await get_order_status.invoke({"order_number": "#45-12"})
    assert found["found"] and found["status"] == "shipped" and found["eta"] == "2026-11-06"
    assert await get_order_status.invoke({"order_number": "9999"}) == {
        "order_number": "9999",
        "found": False,
    }


async def test_ticket_ids_are_deterministic() -> None:
    arguments = {"category": "conference", "extension": "55", "summary": "locked"}
    first, again = await open_ticket.invoke(arguments), await open_ticket.invoke(arguments)
    assert first == again and len(first["ticket_id"]) == 5 and first["ticket_id"].isdigit()
    other = await open_ticket.invoke({**arguments, "extension": "56"})
    assert other["ticket_id"] != first["ticket_id"]


@pytest.mark.parametrize(
    ("number", "phrase"),
    [
        ("4512", "shipped on November 2 and should arrive by November 6"),
        ("1001", "is being prepared"),
        ("2024", "was delivered on October 28"),
        ("3300", "was cancelled"),
        ("9999", "couldn't find an order with the number 9999"),
    ],
)
async def test_order_replies(number: str, phrase: str) -> None:
    result = await get_order_status.invoke({"order_number": number})
    reply = SCENARIO.intent("order_status").reply
    assert callable(reply) and phrase in reply(result)


def test_declarations_are_checked_against_the_tools() -> None:
    unknown_tool = Intent("x", ("x",), reply="x", tool="refund")
    with pytest.raises(ValueError, match="calls unknown refund"):
        replace(SCENARIO, intents=(unknown_tool,))
    bad_slot = Intent("x", ("x",), reply="x", tool="open_ticket", slots=(Slot("room", "digits"),))
    with pytest.raises(ValueError, match="open_ticket has no argument room"):
        replace(SCENARIO, intents=(bad_slot,))
    with pytest.raises(ValueError, match="follows up unknown nothing"):
        replace(SCENARIO, intents=(Intent("x", ("x",), reply="x", follow_up="nothing"),))
