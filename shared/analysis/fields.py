"""Extracted fields against the bot's JSON Schema: keep what passes, explain what does not."""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator


def validated(fields: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields that satisfy ``schema``, and one line per field dropped or missing."""
    validator = Draft202012Validator(schema)
    kept = {name: value for name, value in fields.items() if value is not None}
    problems: list[str] = []
    while errors := list(validator.iter_errors(kept)):
        dropped = False
        for error in errors:
            if error.path and error.path[0] in kept:
                name = str(error.path[0])
                problems.append(f"field {name}: dropped, {error.message}")
                del kept[name]
                dropped = True
                break
        if not dropped:
            problems.extend(f"fields: {error.message}" for error in errors)
            break
    return kept, problems


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` in the shape structured-output APIs enforce.

    Every object lists all its properties as required and forbids others, so an optional
    property becomes "this, or null"; :func:`validated` drops the nulls again.
    """
    result = copy.deepcopy(schema)
    if result.get("type") == "object" and isinstance(result.get("properties"), dict):
        required = set(result.get("required", []))
        properties: dict[str, Any] = {}
        for name, sub in result["properties"].items():
            sub = strict(sub)
            properties[name] = sub if name in required else {"anyOf": [sub, {"type": "null"}]}
        result["properties"] = properties
        result["required"] = list(properties)
        result["additionalProperties"] = False
    if result.get("type") == "array" and isinstance(result.get("items"), dict):
        result["items"] = strict(result["items"])
    return result
