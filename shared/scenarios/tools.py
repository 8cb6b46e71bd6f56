"""Scenario tools: typed Python functions whose JSON schemas are derived from their signatures.

A tool is written once, as a function with annotated parameters and a docstring; the schema
every LLM sees (local-intent or a cloud model) and the validation of the arguments it sends both
come from that signature, so they cannot drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, get_type_hints

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

ToolFunction = Callable[..., dict[str, Any] | Awaitable[dict[str, Any]]]


class ToolArgumentsError(ValueError):
    """The LLM called a tool with arguments that do not fit its signature."""


@dataclass(frozen=True)
class Tool:
    """A callable tool with the schema and argument model derived from its function."""

    name: str
    description: str
    function: ToolFunction
    arguments_model: type[BaseModel]

    @classmethod
    def from_function(cls, function: ToolFunction) -> Tool:
        hints = get_type_hints(function, include_extras=True)
        fields: dict[str, Any] = {}
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"tool {function.__name__}: *args/**kwargs cannot be described")
            if param.name not in hints:
                raise TypeError(f"tool {function.__name__}: parameter {param.name} has no type")
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (hints[param.name], default)
        model = create_model(
            f"{function.__name__}_arguments",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
        description = inspect.cleandoc(function.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        if not description:
            raise TypeError(
                f"tool {function.__name__}: a docstring is the description the LLM sees"
            )
        return cls(function.__name__, description, function, model)

    @property
    def schema(self) -> FunctionSchema:
        json_schema = self.arguments_model.model_json_schema()
        properties = json_schema.get("properties", {})
        for prop in properties.values():
            prop.pop("title", None)
        return FunctionSchema(
            name=self.name,
            description=self.description,
            properties=properties,
            required=list(json_schema.get("required", [])),
        )

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self.arguments_model.model_validate(dict(arguments)).model_dump()
        except ValidationError as error:
            raise ToolArgumentsError(f"{self.name}: {error}") from error

    async def invoke(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the arguments, run the function and return its JSON-able result."""
        result = self.function(**self.validate(arguments))
        if inspect.isawaitable(result):
            result = await result
        return result


def tool(function: ToolFunction) -> Tool:
    """Decorator: turn a typed, documented function into a :class:`Tool`."""
    return Tool.from_function(function)
