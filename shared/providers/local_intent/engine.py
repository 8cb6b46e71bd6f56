"""The ``local-intent`` dialogue engine: caller text in, a reply and/or a tool call out.

An offline stand-in for an LLM, not a language model: each caller turn is matched to one of
the scenario's intents or knowledge entries (:mod:`shared.nlu.matcher`), the tool arguments
are read from the words (:mod:`shared.nlu.slots`), a missing argument is asked for and the
next turn fills it, and replies are the scenario's templates filled with the tool's result.
An intent with a ``check`` (a booking) first calls the check's tool on what it has (the day
and time), and goes on to ask the rest only when that is free; else the alternatives the
check offers are said, and the caller's pick ("the first one", "11 am") carries on.

Pure and synchronous: no Pipecat here. The state of a call is an immutable
:class:`DialogueState`; every call returns a :class:`Decision` carrying the next one, so a
caller (the Pipecat service, a test) can keep, replay or drop a turn's effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from shared.nlu.matcher import Matcher
from shared.nlu.slots import (
    extract_choice,
    extract_date,
    extract_digits,
    extract_name,
    extract_time,
    is_affirmative,
    tokens,
)
from shared.scenarios.base import END_CALL, Intent, Knowledge, Reply, Scenario, Slot

INTENT_PREFIX, KNOWLEDGE_PREFIX = "intent:", "knowledge:"
ENDING_SCORE = 0.95
TOOL_FAILED = "Sorry, something went wrong on my side. Could you try that again?"
_PLACES = {"first": 0, "second": 1, "third": 2, "last": -1}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Pending:
    """An intent under way: the slot values gathered so far and the slot last asked for.

    ``options`` are the slot values the last check confirmed or offered, in the order said:
    values among them need no check again, and the caller may pick one ("the first one").
    """

    intent: str
    values: Mapping[str, str] = field(default_factory=dict)
    asking: str | None = None
    attempts: int = 0
    options: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class DialogueState:
    """A call's memory: the question awaiting an answer (or the intent whose check is under
    way, ``asking`` nothing), or what the last reply offered."""

    pending: Pending | None = None
    offer: Pending | None = None


@dataclass(frozen=True)
class Decision:
    """What to say (possibly nothing), which tool to call (if any), and the state after it."""

    text: str
    state: DialogueState
    tool_call: ToolCall | None = None
    intent: str | None = None


def render(reply: Reply, values: Mapping[str, Any]) -> str:
    return reply.format_map(values) if isinstance(reply, str) else reply(values)


def build_matcher(scenario: Scenario) -> Matcher:
    """A matcher over the scenario's intent examples and knowledge questions."""
    examples: dict[str, tuple[str, ...]] = {}
    keywords: dict[str, tuple[str, ...]] = {}
    for intent in scenario.intents:
        examples[INTENT_PREFIX + intent.name], keywords[INTENT_PREFIX + intent.name] = (
            intent.examples,
            intent.keywords,
        )
    for entry in scenario.knowledge:
        examples[KNOWLEDGE_PREFIX + entry.name] = entry.questions
        keywords[KNOWLEDGE_PREFIX + entry.name] = entry.keywords
    return Matcher(examples, keywords)


class DialogueEngine:
    """Runs one scenario's dialogue; holds no per-call state (that lives in DialogueState)."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        today: Callable[[], date] = date.today,
        matcher: Matcher | None = None,
    ) -> None:
        self.scenario = scenario
        self._today = today
        self._matcher = matcher or build_matcher(scenario)
        self._knowledge = {entry.name: entry for entry in scenario.knowledge}
        self._ending = {INTENT_PREFIX + i.name for i in scenario.intents if i.ends_call}

    def respond(self, state: DialogueState, text: str) -> Decision:
        """The decision for one caller turn (an ASR transcript, possibly empty or noisy)."""
        text = " ".join(text.split())
        if not any(char.isalnum() for char in text):
            return self._unclear(state)
        if state.pending is not None and self._asked(state) is not None:
            return self._answer(state.pending, text)
        label = self._classify(text)
        if label is None and state.offer is not None and self._continues(state.offer, text):
            return self._advance(self._fill(state.offer, text), ack=True)
        return self._handle(label, text, state)

    def after_tool(
        self, state: DialogueState, name: str, arguments: Mapping[str, Any], result: Any
    ) -> Decision:
        """The reply to a tool's result; nothing at all after ``end_call``."""
        if name == END_CALL:
            return Decision("", state)
        intent = next((i for i in self.scenario.intents if i.tool == name), None)
        # A failed tool (bad arguments, a webhook that is down) answers ``{"error": ...}``.
        if intent is None or not isinstance(result, Mapping) or "error" in result:
            return Decision(TOOL_FAILED, DialogueState(), intent=intent.name if intent else None)
        values = {**arguments, **result}
        options = tuple(intent.offers(values)) if intent.offers else ()
        pending = state.pending
        if pending is None or self.scenario.intent(pending.intent).check != intent.name:
            pending = self._follow_up(intent, values)
        elif self._checked(intent, pending) in options:  # the check passed: go on
            return self._advance(replace(pending, options=options), ack=values)
        text = render(intent.reply, values)
        offer = _offer(pending, options) if pending and text.endswith("?") else None
        return Decision(text, DialogueState(offer=offer), None, intent.name)

    def _follow_up(self, intent: Intent, values: Mapping[str, Any]) -> Pending | None:
        """The intent a reply's question leads to, with the values it carries over."""
        if intent.follow_up is None:
            return None
        follow_up = self.scenario.intent(intent.follow_up)
        carried = {
            slot.name: str(values[slot.name])
            for slot in follow_up.slots
            if slot.kind != "utterance" and values.get(slot.name) is not None
        }
        return Pending(follow_up.name, carried)

    def reprompt(self, state: DialogueState) -> Decision:
        """What to say when the caller has gone quiet: repeat the open question, or offer help."""
        slot = self._asked(state)
        return Decision(
            f"Are you still there? {slot.prompt}" if slot else self.scenario.reprompt, state
        )

    def _unclear(self, state: DialogueState) -> Decision:
        """An empty or punctuation-only transcript: ask again, keeping any open question."""
        slot = self._asked(state)
        return Decision(
            f"Sorry, I didn't catch that. {slot.prompt}" if slot else self.scenario.fallback, state
        )

    def greet(self, state: DialogueState) -> Decision:
        return Decision(self.scenario.greeting, state)

    def _classify(self, text: str) -> str | None:
        """The label ``text`` means; hanging up also needs a goodbye word or a near-exact
        example, because ending a call by mistake ("No." is close to "No, that's it, bye")
        costs far more than asking again."""
        match = self._matcher.match(text)
        if match is None:
            return None
        if match.label in self._ending and not match.keywords and match.score < ENDING_SCORE:
            return None
        return match.label

    def _handle(self, label: str | None, text: str, state: DialogueState) -> Decision:
        if label is None:
            return Decision(self.scenario.fallback, DialogueState())
        if label.startswith(KNOWLEDGE_PREFIX):
            return self._answer_question(
                self._knowledge[label.removeprefix(KNOWLEDGE_PREFIX)], state
            )
        intent = self.scenario.intent(label.removeprefix(INTENT_PREFIX))
        offer = state.offer
        start = offer if offer and offer.intent == intent.name else Pending(intent.name)
        return self._advance(self._fill(start, text, trigger=True), ack=True)

    def _answer_question(self, entry: Knowledge, state: DialogueState) -> Decision:
        """A knowledge answer; an open question is asked again after it, and stays open."""
        slot = self._asked(state)
        if slot is None:
            return Decision(entry.answer, DialogueState(), intent=KNOWLEDGE_PREFIX + entry.name)
        return Decision(
            f"{entry.answer} {slot.prompt}", state, intent=KNOWLEDGE_PREFIX + entry.name
        )

    def _asked(self, state: DialogueState) -> Slot | None:
        """The slot the last reply asked the caller for, if a question is open."""
        pending = state.pending
        if pending is None or pending.asking is None:
            return None
        return self.scenario.intent(pending.intent).slot(pending.asking)

    def _answer(self, pending: Pending, text: str) -> Decision:
        """The caller's reply to a slot question: the value, or a change of subject."""
        intent = self.scenario.intent(pending.intent)
        slot = intent.slot(pending.asking or "")
        filled = self._fill(pending, text)
        if slot.name in filled.values:
            return self._advance(filled)
        label = self._classify(text)
        if label is not None and label != INTENT_PREFIX + intent.name:
            return self._handle(label, text, DialogueState(pending=filled))
        if slot.default is not None:
            return self._advance(replace(filled, values={**filled.values, slot.name: slot.default}))
        if pending.attempts >= 1:
            return Decision(self.scenario.fallback, DialogueState(), intent=intent.name)
        retry = replace(filled, attempts=pending.attempts + 1)
        return Decision(f"Sorry, I didn't catch that. {slot.prompt}", DialogueState(pending=retry))

    def _continues(self, offer: Pending, text: str) -> bool:
        """Whether a turn nothing else matched takes up what the last reply offered."""
        intent = self.scenario.intent(offer.intent)
        if self._fill(offer, text).values != offer.values:
            return True
        missing = any(slot.required and slot.name not in offer.values for slot in intent.slots)
        return missing and is_affirmative(text)

    def _fill(self, pending: Pending, text: str, *, trigger: bool = False) -> Pending:
        """``pending`` with the slot values ``text`` holds (new values win over old ones).

        The sentence that starts an intent (``trigger``) is read strictly, the answer to a
        question permissively for the slot asked, and a turn taking up an offer
        permissively for all but names. An utterance slot keeps the first sentence, and the
        answer to a choice question, which describes the matter too ("my fax is broken").
        """
        intent = self.scenario.intent(pending.intent)
        asked = intent.slot(pending.asking) if pending.asking else None
        values = dict(pending.values)
        for slot in intent.slots:
            if slot.kind == "utterance":
                if slot.name not in values:
                    values[slot.name] = text
                elif asked is not None and asked.kind == "choice":
                    values[slot.name] = f"{values[slot.name]} {text}"
                continue
            if trigger:
                answer = False
            elif pending.asking is None:
                answer = slot.kind != "name"
            else:
                answer = slot.name == pending.asking
            if (value := self._extract(slot, text, answer=answer)) is not None:
                values[slot.name] = value
        said = {k: v for k, v in values.items() if pending.values.get(k) != v}
        picked = _picked(pending, said, text)
        return replace(pending, values={**values, **picked})

    def _extract(self, slot: Slot, text: str, *, answer: bool) -> str | None:
        if slot.kind == "digits":
            # An optional number ("phone") needs its cue word: a bare number belongs elsewhere.
            return extract_digits(
                text, cues=slot.cues, answer=answer, cue_required=not slot.required
            )
        if slot.kind == "date":
            day = extract_date(text, self._today())
            return day.isoformat() if day else None
        if slot.kind == "time":
            return extract_time(text, answer=answer)
        if slot.kind == "name":
            return extract_name(text, answer=answer)
        if slot.kind == "choice":
            return extract_choice(text, slot.choices)
        return None

    def _checked(self, check: Intent, pending: Pending) -> dict[str, str] | None:
        """The values ``check`` vets, once its required slots are filled."""
        if any(s.required and s.name not in pending.values for s in check.slots):
            return None
        return {s.name: pending.values[s.name] for s in check.slots if s.name in pending.values}

    def _advance(self, pending: Pending, *, ack: bool | Mapping[str, Any] = False) -> Decision:
        """Run a due check, or ask for the first missing slot, or call the tool, or reply.

        ``ack`` opens the question; a mapping (a check's result) is rendered into it too.
        """
        intent = self.scenario.intent(pending.intent)
        if intent.check is not None:
            check = self.scenario.intent(intent.check)
            vetted = self._checked(check, pending)
            if (
                vetted
                and check.tool
                and not any(vetted.items() <= o.items() for o in pending.options)
            ):
                state = DialogueState(replace(pending, asking=None, attempts=0))
                return Decision("", state, ToolCall(check.tool, vetted), intent.name)
        for slot in intent.slots:
            if slot.required and slot.name not in pending.values:
                shown = {**ack, **pending.values} if isinstance(ack, Mapping) else pending.values
                opening = render(intent.ack, shown) if ack else ""
                question = f"{opening} {slot.prompt}".strip()
                asking = replace(pending, asking=slot.name, attempts=0)
                return Decision(question, DialogueState(asking), intent=intent.name)
        if intent.tool is not None:
            arguments = {
                s.name: pending.values[s.name] for s in intent.slots if s.name in pending.values
            }
            return Decision("", DialogueState(), ToolCall(intent.tool, arguments), intent.name)
        end = ToolCall(END_CALL, {"reason": "caller said goodbye"}) if intent.ends_call else None
        return Decision(render(intent.reply, pending.values), DialogueState(), end, intent.name)


def _offer(pending: Pending, options: tuple[Mapping[str, str], ...]) -> Pending:
    """What a reply offering ``options`` leaves the caller to take up: values the options
    do not hold give way to those all options share (the day of the times offered)."""
    values = dict(pending.values)
    if options and not any(o.items() <= values.items() for o in options):
        for key in dict.fromkeys(key for option in options for key in option):
            shared = {option.get(key) for option in options}
            values.pop(key, None)
            if len(shared) == 1 and (value := shared.pop()) is not None:
                values[key] = value
    return replace(pending, values=values, asking=None, attempts=0, options=options)


def _picked(pending: Pending, said: Mapping[str, str], text: str) -> Mapping[str, str]:
    """The offered option a turn picks: by its place ("the first one") while no question is
    open, or the first one that agrees with the values said ("11 am", "Monday at 11")."""
    place = _place(text) if pending.asking is None else None
    if place is not None and place < len(pending.options):
        return pending.options[place]
    for option in pending.options:
        if said.keys() & option.keys() and all(option.get(k, v) == v for k, v in said.items()):
            return option
    return {}


def _place(text: str) -> int | None:
    """The place "the first one", "the last" names; "the first of May" is a date."""
    words = tokens(text)
    for i, word in enumerate(words):
        if word in _PLACES and (i == 0 or words[i - 1] == "the") and words[i + 1 : i + 2] != ["of"]:
            return _PLACES[word]
    return None
