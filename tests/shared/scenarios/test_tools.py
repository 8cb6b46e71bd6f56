"""Tool schemas and argument models derived from typed, documented functions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Literal

import pytest

from shared.scenarios.tools import Tool, ToolArgumentsError, tool


@tool
def reserve(
    room: Literal["small", "large"], day: datetime.date, seats: int, note: str | None = None
) -> dict[str, Any]:
    """Reserve a meeting room for a day.

    This second paragraph is for developers, not for the model.
    """
    return {"room": room, "day": day.isoformat(), "seats": seats, "note": note}


@tool
async def ping(host: str) -> dict[str, Any]:
    """Check that a host answers."""
    return {"host": host, "up": True}


def test_schema_comes_from_the_signature_and_the_docstring() -> None:
    schema = reserve.schema
    assert schema.name == "reserve"
    assert schema.description == "Reserve a meeting room for a day."
    assert schema.required == ["room", "day", "seats"]
    assert schema.properties["room"] == {"enum": ["small", "large"], "type": "string"}
    assert schema.properties["day"] == {"format": "date", "type": "string"}
    assert schema.properties["seats"] == {"type": "integer"}
    assert "title" not in schema.properties["note"]
    assert schema.to_default_dict()["parameters"]["required"] == ["room", "day", "seats"]


async def test_invoke_validates_and_converts_json_arguments() -> None:
    result = await reserve.invoke({"room": "small", "day": "2026-11-06", "seats": "4"})
    assert result == {"room": "small", "day": "2026-11-06", "seats": 4, "note": None}
    assert await ping.invoke({"host": "pbx"}) == {"host": "pbx", "up": True}


@pytest.mark.parametrize(
    "arguments",
    [
        {"room": "huge", "day": "2026-11-06", "seats": 4},
        {"room": "small", "seats": 4},
        {"room": "small", "day": "2026-11-06", "seats": 4, "floor": 2},
        {"room": "small", "day": "not a date", "seats": 4},
    ],
)
def test_bad_arguments_are_rejected_with_the_tool_named(arguments: dict[str, Any]) -> None:
    with pytest.raises(ToolArgumentsError, match=r"^reserve: "):
        reserve.validate(arguments)


def test_functions_that_cannot_be_described_are_refused() -> None:
    def undocumented(x: int) -> dict[str, Any]:
        return {}

    def untyped(x) -> dict[str, Any]:
        """Has no type."""
        return {}

    def variadic(*args: int) -> dict[str, Any]:
        """Takes anything."""
        return {}

    cases: list[tuple[Callable[..., Any], str]] = [
        (undocumented, "docstring"),
        (untyped, "no type"),
        (variadic, r"\*args"),
    ]
    for function, message in cases:
        with pytest.raises(TypeError, match=message):
            Tool.from_function(function)
