"""Scenarios as code: what a bot is for, written once for a real LLM and for ``local-intent``.

A :class:`Scenario` carries the system prompt and tools a real LLM gets, and beside them the
declarations the offline engine works from: intents (example sentences, the tool they call,
the slots that tool needs and how to ask for them, the reply to speak from the tool's result),
knowledge entries (question examples and a fixed answer) and the fallback lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pydantic import Field

from shared.scenarios.tools import Tool

END_CALL = "end_call"
"""The built-in tool every pipeline registers: hang up once the goodbye has been spoken."""

SlotKind = Literal["digits", "date", "time", "name", "choice", "utterance"]
Reply = str | Callable[[Mapping[str, Any]], str]
"""A ``str.format`` template or a function, given the slot values merged with the tool result."""
Offers = Callable[[Mapping[str, Any]], Sequence[Mapping[str, str]]]
"""The slot values a reply offers the caller, in the order said, from the same values."""


@dataclass(frozen=True)
class Slot:
    """A tool argument the engine fills from what the caller says.

    ``prompt`` is the question asked when the value is missing; a slot without one is
    optional and only filled when the caller happens to say it. ``default`` is taken when the
    caller's answer to ``prompt`` carries no value (e.g. a problem category of "other").
    """

    name: str
    kind: SlotKind
    prompt: str = ""
    cues: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default: str | None = None

    @property
    def required(self) -> bool:
        return bool(self.prompt)


@dataclass(frozen=True)
class Intent:
    """Something a caller wants done: recognized from examples, answered through a tool.

    Without a tool, ``reply`` is spoken at once. ``ack`` opens the first question asked for
    a missing slot and confirms what was understood ("Sure, tomorrow at 3 pm."). ``follow_up``
    names the intent the caller's next answer continues when the reply ends with a question
    ("Which time would you like?" after checking availability); ``offers`` lists what that
    question offers, so the caller can pick one by a value or by its place ("the first one").

    ``check`` names an intent whose tool vets the values gathered so far as soon as its
    required slots are filled, before the rest is asked for: a receptionist checks the slot
    before taking the caller's name. The values pass when the check's ``offers`` hold them
    exactly; otherwise the check's reply, offering alternatives, is spoken and the caller's
    pick continues this intent. ``ack`` also opens the question after a passed check, with the
    check's result among its values.
    """

    name: str
    examples: tuple[str, ...]
    reply: Reply
    ack: Reply = ""
    tool: str | None = None
    slots: tuple[Slot, ...] = ()
    keywords: tuple[str, ...] = ()
    ends_call: bool = False
    follow_up: str | None = None
    offers: Offers | None = None
    check: str | None = None

    def slot(self, name: str) -> Slot:
        return next(slot for slot in self.slots if slot.name == name)


@dataclass(frozen=True)
class Knowledge:
    """A question the business answers the same way every time (hours, returns, address)."""

    name: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A bot's job: prompt and tools for an LLM, intents and knowledge for ``local-intent``."""

    name: str
    title: str
    prompt: str
    tools: tuple[Tool, ...]
    intents: tuple[Intent, ...]
    knowledge: tuple[Knowledge, ...]
    greeting: str
    fallback: str
    reprompt: str

    def __post_init__(self) -> None:
        tools = {tool.name: tool for tool in self.tools}
        intents = {intent.name for intent in self.intents}
        checks = {intent.name for intent in self.intents if intent.tool and intent.offers}
        for intent in self.intents:
            if intent.follow_up is not None and intent.follow_up not in intents:
                raise ValueError(
                    f"{self.name}: {intent.name} follows up unknown {intent.follow_up}"
                )
            if intent.check is not None and intent.check not in checks:
                raise ValueError(
                    f"{self.name}: {intent.name} checks with {intent.check}, "
                    "which needs a tool and offers"
                )
            if intent.tool is None:
                continue
            if intent.tool not in tools:
                raise ValueError(f"{self.name}: intent {intent.name} calls unknown {intent.tool}")
            fields = tools[intent.tool].arguments_model.model_fields
            for slot in intent.slots:
                if slot.name not in fields:
                    raise ValueError(f"{self.name}: {intent.tool} has no argument {slot.name}")

    def tool(self, name: str) -> Tool:
        for tool in self.tools:
            if tool.name == name:
                return tool
        raise KeyError(f"scenario {self.name} has no tool {name!r}")

    def intent(self, name: str) -> Intent:
        for intent in self.intents:
            if intent.name == name:
                return intent
        raise KeyError(f"scenario {self.name} has no intent {name!r}")

    def tools_schema(self) -> ToolsSchema:
        """The scenario's tools plus the built-in ``end_call``, as a context advertises them."""
        return ToolsSchema(standard_tools=[*(tool.schema for tool in self.tools), END_CALL_SCHEMA])


def end_call(
    reason: Annotated[str, Field(description="Why the call ends, in a few words.")],
) -> dict[str, str]:
    """Hang up the call. Call it only after saying goodbye, when the caller is done."""
    return {"status": "ending", "reason": reason}


END_CALL_TOOL = Tool.from_function(end_call)
END_CALL_SCHEMA: FunctionSchema = END_CALL_TOOL.schema

GOODBYE_EXAMPLES = (
    "Goodbye",
    "Bye, thanks",
    "That's all, thank you",
    "Thanks, that's everything I needed",
    "No, that's it, bye",
    "Have a nice day, bye",
    "I'm done, goodbye",
)
GOODBYE_KEYWORDS = (
    *("goodbye", "bye", "that's all", "that is all", "that's everything", "that's it"),
    *("have a nice day", "have a good day", "hang up", "i'm done"),
)
THANKS_EXAMPLES = ("Thank you", "Thanks a lot", "Great, thanks", "Perfect, thank you very much")


def courtesy_intents(*, help_reply: str, goodbye_reply: str) -> tuple[Intent, ...]:
    """The intents every scenario has: asking what the bot can do, thanks, and goodbye."""
    return (
        Intent(
            name="help",
            examples=("Hello", "Hi there", "What can you do?", "Can you help me?", "I need help"),
            reply=help_reply,
        ),
        Intent(
            name="thanks",
            examples=THANKS_EXAMPLES,
            reply="You're welcome! Is there anything else I can help with?",
        ),
        Intent(
            name="goodbye",
            examples=GOODBYE_EXAMPLES,
            keywords=GOODBYE_KEYWORDS,
            reply=goodbye_reply,
            ends_call=True,
        ),
    )
