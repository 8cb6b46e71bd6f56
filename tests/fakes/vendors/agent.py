"""A scripted "brain" behind the fake LLM servers: reads a conversation, answers like a model.

The OpenAI and Gemini fakes translate their wire formats to :class:`Message` lists and back;
this module decides what a competent model would do next in the support-desk scenario:
ask for the extension, call ``open_ticket`` (or ``get_order_status``) once it has what the
tool needs, read the tool's result back, and call ``end_call`` on a goodbye. Only tools the
request advertises are called, so a fake answer also proves the tools reached the wire.
For structured output it fills the requested JSON Schema from what the transcript says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema import Draft202012Validator

Role = Literal["system", "user", "assistant", "tool"]

CATEGORIES: dict[str, tuple[str, ...]] = {
    "conference": ("conference", "bridge", "meeting"),
    "voicemail": ("voicemail", "voice mail", "mailbox", "password", "passcode"),
    "billing": ("bill", "invoice", "charge"),
    "internet": ("internet", "wifi", "router"),
    "calling": ("call", "dial", "ring", "not in service", "hear"),
}
PROBLEM_WORDS = ("problem", "issue", "not working", "broken", "can't", "cannot", "locked", "won't")
GOODBYE = re.compile(r"\b(good ?bye|bye|that's all|that's it|i'm done)\b")
UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
TEENS = (
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen"),
    *("sixteen", "seventeen", "eighteen", "nineteen"),
)
NUMBER_WORDS = {
    **{word: str(i) for i, word in enumerate(UNITS)},
    **{word: str(i + 11) for i, word in enumerate(TEENS)},
}
TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
TENS = {word: i + 2 for i, word in enumerate(TENS_WORDS)}
ASK_EXTENSION = "I'm sorry to hear that. What's your extension number?"
HELP = "I can check an order or open a support ticket. How can I help?"
FAREWELL = "Thanks for calling Acme Voice. Goodbye!"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """One conversation entry, vendor-neutral. A ``tool`` message carries its call's name."""

    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_name: str = ""
    tool_result: Any = None


@dataclass(frozen=True)
class Reply:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)


def digits(text: str) -> str:
    """The digits a caller said, in numerals or words: "fifty five", "five five", "5-5" -> "55"."""
    out: list[str] = []
    after_tens = False
    for word in re.findall(r"[a-z]+|\d+", text.lower()):
        value = word if word.isdigit() else NUMBER_WORDS.get(word)
        if word in TENS:
            out.append(str(TENS[word] * 10))
        elif value is not None and after_tens and len(value) == 1 and value != "0":
            out[-1] = str(int(out[-1]) + int(value))  # "fifty five": the unit joins the tens
        elif value is not None:
            out.append(value)
        after_tens = word in TENS
    return "".join(out)


def category(text: str) -> str | None:
    lowered = text.lower()
    for name, words in CATEGORIES.items():
        if any(word in lowered for word in words):
            return name
    return None


def _problem(text: str) -> bool:
    lowered = text.lower()
    return category(text) is not None or any(word in lowered for word in PROBLEM_WORDS)


def respond(messages: Sequence[Message], tools: Sequence[str]) -> Reply:
    """What the model says next, given the whole conversation and the advertised tool names."""
    if not messages:
        return Reply(HELP)
    last = messages[-1]
    if last.role == "tool":
        return Reply(_after_tool(last))
    if last.role != "user":
        return Reply("")
    said = last.text
    if GOODBYE.search(said.lower()):
        calls = [ToolCall("end_call", {"reason": "caller said goodbye"})]
        return Reply(FAREWELL, calls if "end_call" in tools else [])
    heard = [m.text for m in messages if m.role == "user"]
    number = digits(said)
    if any("order" in text.lower() for text in heard) and "get_order_status" in tools:
        if number:
            return Reply("", [ToolCall("get_order_status", {"order_number": number})])
        return Reply("Sure. What's your order number?")
    problems = [text for text in heard if _problem(text)]
    if not problems:
        return Reply(HELP)
    if not number:
        return Reply(ASK_EXTENSION)
    if "open_ticket" not in tools:
        return Reply("Sorry, I can't open tickets right now.")
    summary = problems[0].strip()
    kind = next((c for text in problems if (c := category(text))), "other")
    arguments = {"category": kind, "extension": number, "summary": summary}
    return Reply("", [ToolCall("open_ticket", arguments)])


def _after_tool(message: Message) -> str:
    result = message.tool_result if isinstance(message.tool_result, Mapping) else {}
    if message.tool_name == "open_ticket" and "ticket_id" in result:
        return (
            f"I've opened ticket {result['ticket_id']} for the {result.get('category')} problem "
            f"on extension {result.get('extension')}. A technician will call you back within "
            "four business hours."
        )
    if message.tool_name == "get_order_status" and result.get("found"):
        return f"Your order {result['order_number']} is {result['status']}."
    if message.tool_name == "get_order_status":
        return "I couldn't find that order. Could you check the number?"
    return "Sorry, that didn't work. Could you say that again?"


# --- structured output ------------------------------------------------------------------------
def structured(schema: Mapping[str, Any], transcript: str) -> dict[str, Any]:
    """A JSON object for ``schema``, filled from the call's transcript as a careful model would.

    Values quoted in the transcript's tool lines (``"extension": "55"``) fill properties of
    the same name; enums pick the label matching what the tools did; anything unsupported by
    the transcript is null where the schema allows it.
    """
    facts = dict(re.findall(r'"(\w+)": "([^"]*)"', transcript))
    return _fill(schema, "", facts, transcript)


def _fill(schema: Mapping[str, Any], name: str, facts: Mapping[str, str], transcript: str) -> Any:
    options = schema.get("anyOf")
    if options:
        value = _fill(options[0], name, facts, transcript)
        return value if _valid(options[0], value) else None
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        return {key: _fill(sub, key, facts, transcript) for key, sub in properties.items()}
    if "enum" in schema:
        labels = [str(label) for label in schema["enum"]]
        if name in facts and facts[name] in labels:
            return facts[name]
        done = {"open_ticket": "ticket_opened", "get_order_status": "order_checked"}
        for tool, label in done.items():
            if f"tool {tool}(" in transcript and label in labels:
                return label
        return labels[-1]
    if name == "summary":
        caller = re.findall(r"^caller: (.*)$", transcript, re.MULTILINE)
        return f"The caller said: {caller[0]}" if caller else "Nothing was said."
    return facts.get(name)


def _valid(schema: Mapping[str, Any], value: Any) -> bool:
    return value is not None and Draft202012Validator(dict(schema)).is_valid(value)


def strict_schema_problem(schema: Any, where: str = "response") -> str | None:
    """What OpenAI's strict mode would reject in ``schema`` (every object closed, all required)."""
    if not isinstance(schema, Mapping):
        return None
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"{where}: 'additionalProperties' is required to be supplied and to be false"
        if sorted(schema.get("required", [])) != sorted(properties):
            return f"{where}: 'required' is required to include every key in properties"
        for key, sub in properties.items():
            if problem := strict_schema_problem(sub, f"{where}.{key}"):
                return problem
    for sub in schema.get("anyOf", ()):
        if problem := strict_schema_problem(sub, where):
            return problem
    return None


def estimate_tokens(payload: Any) -> int:
    """Tokens as a vendor would bill them, estimated at ~4 characters per token."""
    return max(1, len(json.dumps(payload, default=str)) // 4)
