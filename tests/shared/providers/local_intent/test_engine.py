"""The dialogue engine on the exact Whisper outputs of real recordings, turn by turn."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from shared import scenarios
from shared.providers.local_intent.engine import (
    TOOL_FAILED,
    Decision,
    DialogueEngine,
    DialogueState,
    ToolCall,
)
from shared.scenarios.base import END_CALL

TODAY = date(2026, 11, 5)  # a Thursday
TOMORROW = TODAY + timedelta(days=1)
NEXT_MONDAY = date(2026, 11, 9)
SATURDAY = date(2026, 11, 21)  # the demo call's day: "tomorrow" is a Sunday, closed


class Call:
    """One call through the engine, running the scenario's real tools like a pipeline would."""

    def __init__(self, scenario: str, today: date = TODAY) -> None:
        self.scenario = scenarios.get(scenario)
        self.engine = DialogueEngine(self.scenario, today=lambda: today)
        self.state = DialogueState()
        self.calls: list[ToolCall] = []

    async def say(self, text: str) -> Decision:
        """The caller's turn; tool calls are run and answered, as Pipecat would do it, and
        the texts spoken on the way are joined in the decision returned."""
        decision = self.engine.respond(self.state, text)
        self.state, spoken = decision.state, [decision.text]
        while (call := decision.tool_call) is not None:
            self.calls.append(call)
            if call.name == END_CALL:
                break
            result = await self.scenario.tool(call.name).invoke(call.arguments)
            decision = self.engine.after_tool(self.state, call.name, call.arguments, result)
            self.state = decision.state
            spoken.append(decision.text)
        return replace(decision, text=" ".join(t for t in spoken if t))


def only_call(call: Call) -> ToolCall:
    assert len(call.calls) == 1, call.calls
    return call.calls[0]


@pytest.fixture
def desk() -> Call:
    return Call("support_desk")


@pytest.fixture
def clinic() -> Call:
    return Call("clinic_booking")


@pytest.mark.parametrize("extension", ["5 5", "Five five.", "55"])
async def test_locked_conference_is_triaged_then_ticketed_on_the_extension(
    desk: Call, extension: str
) -> None:
    problem = "The conference is currently locked and cannot be joined."
    asked = await desk.say(problem)
    assert asked.tool_call is None and "extension" in asked.text.lower()
    assert "conference" in asked.text

    answer = await desk.say(extension)

    call = only_call(desk)
    assert call == ToolCall(
        "open_ticket", {"category": "conference", "extension": "55", "summary": problem}
    )
    ticket = (await desk.scenario.tool("open_ticket").invoke(call.arguments))["ticket_id"]
    assert ticket in answer.text and "extension 55" in answer.text


@pytest.mark.parametrize(
    ("problem", "category"),
    [
        ("The passwords you entered and re-entered did not match.", "voicemail"),
        (
            "The number you have dialed is not in service. Please check the number and try again.",
            "calling",
        ),
        ("I was charged twice on my last invoice.", "billing"),
    ],
)
async def test_problems_are_triaged_to_their_category(
    desk: Call, problem: str, category: str
) -> None:
    asked = await desk.say(problem)
    assert "extension" in asked.text.lower() and desk.state.pending is not None
    assert desk.state.pending.values["category"] == category


async def test_ten_of_clubs_fills_the_extension_asked_for(desk: Call) -> None:
    await desk.say("The passwords you entered and re-entered did not match.")
    await desk.say("10 of clubs.")
    assert only_call(desk).arguments["extension"] == "10"


async def test_a_problem_without_a_category_is_asked_then_defaults_to_other(desk: Call) -> None:
    asked = await desk.say("I have a problem")
    assert "voicemail" in asked.text  # the category question lists them
    asked = await desk.say("my fax machine is broken")
    assert asked.text == "What's your extension number?"
    await desk.say("extension 22")
    arguments = only_call(desk).arguments
    assert arguments["category"] == "other" and arguments["extension"] == "22"
    assert "fax machine" in arguments["summary"]


@pytest.mark.parametrize("number", ["It's 4 5 1 2", "four five one two", "4512"])
async def test_order_number_is_asked_for_then_looked_up(desk: Call, number: str) -> None:
    asked = await desk.say("Hi, I'd like to know where my order is")
    assert asked.tool_call is None and "order number" in asked.text

    answer = await desk.say(number)

    assert only_call(desk) == ToolCall("get_order_status", {"order_number": "4512"})
    assert answer.text.startswith("Your order 4512") and "November 6" in answer.text


async def test_an_order_number_in_the_request_is_used_without_asking(desk: Call) -> None:
    answer = await desk.say("I want to check the status of order 4512")
    assert only_call(desk) == ToolCall("get_order_status", {"order_number": "4512"})
    assert "shipped" in answer.text


async def test_an_unknown_order_is_said_and_the_next_number_tried(desk: Call) -> None:
    answer = await desk.say("Where is order 9999?")
    assert "couldn't find" in answer.text and answer.text.endswith("?")
    answer = await desk.say("Sorry, 1 0 0 1")
    assert desk.calls[-1] == ToolCall("get_order_status", {"order_number": "1001"})
    assert "being prepared" in answer.text


async def test_asterisk_goodbye_says_goodbye_and_ends_the_call(desk: Call) -> None:
    answer = await desk.say("Goodbye. Thank you for trying out the Asterisk Open Source PBX.")
    assert answer.text == "Thanks for calling Acme Voice. Goodbye!"
    assert answer.tool_call == ToolCall(END_CALL, {"reason": "caller said goodbye"})


@pytest.mark.parametrize(
    "text", ["No.", "Thank you.", "Yes.", "Okay.", "10 of clubs.", "banana helicopter", "um"]
)
async def test_nothing_but_a_goodbye_ends_the_call(desk: Call, text: str) -> None:
    answer = await desk.say(text)
    assert answer.tool_call is None and desk.calls == []


@pytest.mark.parametrize("text", ["", "   ", "...", "What's the weather in Paris?"])
async def test_unclear_input_gets_the_helpful_fallback(desk: Call, text: str) -> None:
    answer = await desk.say(text)
    assert answer.text == desk.scenario.fallback and answer.tool_call is None


async def test_silence_while_a_question_is_open_repeats_it(desk: Call) -> None:
    await desk.say("Where is my order?")
    assert (await desk.say("")).text == "Sorry, I didn't catch that. What's your order number?"
    reprompt = desk.engine.reprompt(desk.state)
    assert reprompt.text == "Are you still there? What's your order number?"
    assert (await desk.say("4512")).text.startswith("Your order 4512")


async def test_a_question_while_a_slot_is_open_is_answered_and_the_slot_asked_again(
    desk: Call,
) -> None:
    await desk.say("Where is my order?")
    answer = await desk.say("What are your opening hours?")
    assert answer.intent == "knowledge:hours"
    assert answer.text.startswith("We're open") and answer.text.endswith("order number?")
    await desk.say("4512")
    assert only_call(desk).arguments == {"order_number": "4512"}


async def test_an_unusable_answer_is_asked_once_more_then_dropped(desk: Call) -> None:
    await desk.say("Where is my order?")
    again = await desk.say("hmm let me see")
    assert again.text == "Sorry, I didn't catch that. What's your order number?"
    dropped = await desk.say("hmm let me see")
    assert dropped.text == desk.scenario.fallback and dropped.state == DialogueState()


async def test_a_goodbye_instead_of_an_answer_ends_the_call(desk: Call) -> None:
    await desk.say("Where is my order?")
    answer = await desk.say("Never mind, that's all. Bye.")
    assert answer.tool_call is not None and answer.tool_call.name == END_CALL


async def test_knowledge_answers(desk: Call) -> None:
    assert "30 days" in (await desk.say("Can I return a phone I bought?")).text
    assert "star 97" in (await desk.say("How do I check my voicemail?")).text


def check(day: date, time: str | None = None) -> ToolCall:
    arguments = {"date": day.isoformat()} | ({"time": time} if time else {})
    return ToolCall("check_availability", arguments)


def book(day: date, time: str, name: str) -> ToolCall:
    return ToolCall("book_appointment", {"date": day.isoformat(), "time": time, "name": name})


async def test_a_free_slot_is_checked_then_the_name_asked_then_booked(clinic: Call) -> None:
    asked = await clinic.say("I'd like to book an appointment for tomorrow at 3 pm")
    assert clinic.calls == [check(TOMORROW, "15:00")]
    assert asked.text == "Friday, November 6 at 3 pm is free. Can I have your name, please?"

    answer = await clinic.say("My name is John Smith")

    assert clinic.calls[1:] == [book(TOMORROW, "15:00", "John Smith")]
    arguments = clinic.calls[1].arguments
    code = (await clinic.scenario.tool("book_appointment").invoke(arguments))["confirmation"]
    assert code in answer.text and "John Smith" in answer.text and "3 pm" in answer.text


async def test_a_closed_day_offers_the_next_open_day_before_asking_the_name() -> None:
    clinic = Call("clinic_booking", today=SATURDAY)
    offered = await clinic.say("I'd like to book an appointment for tomorrow at 3pm.")
    assert clinic.calls == [check(date(2026, 11, 22), "15:00")]
    assert offered.text == (
        "Sorry, we're closed on Sunday, November 22. The next free times are "
        "Monday, November 23 at 2:30 pm, 3 pm or 3:30 pm. Which would suit you?"
    )
    assert clinic.state.pending is None and clinic.state.offer is not None

    asked = await clinic.say("3 pm")  # on offer: no second check
    assert asked.text == "Sure, Monday, November 23 at 3 pm. Can I have your name, please?"
    await clinic.say("My name is John Smith.")
    assert clinic.calls[1:] == [book(date(2026, 11, 23), "15:00", "John Smith")]


@pytest.mark.parametrize(
    ("pick", "time"),
    [("The first one, please.", "14:30"), ("the last one", "15:30"), ("3:30 pm", "15:30")],
)
async def test_an_offered_time_is_picked_by_its_place_or_its_value(pick: str, time: str) -> None:
    clinic = Call("clinic_booking", today=SATURDAY)
    await clinic.say("I'd like to book an appointment for tomorrow at 3pm.")
    asked = await clinic.say(pick)
    assert asked.text.endswith("Can I have your name, please?")
    await clinic.say("John Smith.")
    assert clinic.calls[1:] == [book(date(2026, 11, 23), time, "John Smith")]


async def test_another_time_on_the_offered_day_is_checked_first() -> None:
    clinic = Call("clinic_booking", today=SATURDAY)
    await clinic.say("I'd like to book an appointment for tomorrow at 3pm.")
    asked = await clinic.say("Monday at 11 please")
    assert clinic.calls[1:] == [check(date(2026, 11, 23), "11:00")]
    assert asked.text == "Monday, November 23 at 11 am is free. Can I have your name, please?"
    await clinic.say("My name is John Smith.")
    assert clinic.calls[2:] == [book(date(2026, 11, 23), "11:00", "John Smith")]


async def test_a_taken_time_offers_that_days_free_times(clinic: Call) -> None:
    offered = await clinic.say("Can I book for Monday at 12:15?")
    assert clinic.calls == [check(NEXT_MONDAY, "12:15")]
    assert offered.text == (
        "Sorry, 12:15 pm on Monday, November 9 isn't free. "
        "We have 11 am, 11:30 am or 1 pm. Which would suit you?"
    )
    asked = await clinic.say("11:30 please")
    assert asked.text == "Sure, Monday, November 9 at 11:30 am. Can I have your name, please?"
    await clinic.say("Jane Doe")
    assert clinic.calls[1:] == [book(NEXT_MONDAY, "11:30", "Jane Doe")]


async def test_a_yes_to_an_offer_asks_the_time_without_checking_again() -> None:
    clinic = Call("clinic_booking", today=SATURDAY)
    await clinic.say("I'd like to book an appointment for tomorrow at 3pm.")
    asked = await clinic.say("Yes.")
    assert asked.text == "Sure, Monday, November 23. What time would suit you?"
    assert len(clinic.calls) == 1


async def test_a_date_after_an_offer_is_a_new_day_to_check_not_a_pick() -> None:
    clinic = Call("clinic_booking", today=SATURDAY)
    await clinic.say("I'd like to book an appointment for tomorrow at 3pm.")
    offered = await clinic.say("the first of December")
    assert clinic.calls[1:] == [check(date(2026, 12, 1))]
    assert offered.text.startswith("On Tuesday, December 1 we have")


async def test_a_name_given_up_front_books_as_soon_as_the_check_passes(clinic: Call) -> None:
    answer = await clinic.say("My name is John Smith and I'd like to book tomorrow at 3 pm")
    assert clinic.calls == [check(TOMORROW, "15:00"), book(TOMORROW, "15:00", "John Smith")]
    assert answer.text.startswith("You're booked, John Smith: Friday, November 6 at 3 pm.")


async def test_a_refused_booking_offers_alternatives_and_a_pick_books_one(clinic: Call) -> None:
    arguments = {"date": "2026-11-08", "time": "15:00", "name": "John Smith"}  # a Sunday
    result = await clinic.scenario.tool("book_appointment").invoke(arguments)
    refused = clinic.engine.after_tool(DialogueState(), "book_appointment", arguments, result)
    assert refused.text == (
        "Sorry, 3 pm on Sunday, November 8 isn't available. "
        "I can offer Monday, November 9 at 2:30 pm, 3 pm or 3:30 pm. Which would you like?"
    )
    clinic.state = refused.state
    answer = await clinic.say("the second one")
    assert clinic.calls == [book(NEXT_MONDAY, "15:00", "John Smith")]
    assert answer.text.startswith("You're booked, John Smith: Monday, November 9 at 3 pm.")


async def test_availability_on_monday_is_checked_for_next_monday(clinic: Call) -> None:
    answer = await clinic.say("Do you have anything free on Monday?")
    assert only_call(clinic) == check(NEXT_MONDAY)
    assert answer.text.startswith("On Monday, November 9 we have")


async def test_a_time_after_availability_continues_into_a_booking(clinic: Call) -> None:
    await clinic.say("Do you have anything free on Monday?")
    asked = await clinic.say("11 am please")
    assert asked.text == "Sure, Monday, November 9 at 11 am. Can I have your name, please?"
    answer = await clinic.say("Jane Doe.")
    assert clinic.calls == [check(NEXT_MONDAY), book(NEXT_MONDAY, "11:00", "Jane Doe")]
    assert answer.text.startswith("You're booked, Jane Doe")


async def test_a_free_time_is_confirmed_before_booking(clinic: Call) -> None:
    offered = await clinic.say("Is 3 pm on Monday free?")
    assert offered.text == "Yes, 3 pm on Monday, November 9 is free. Shall I book it for you?"
    asked = await clinic.say("Yes please")
    assert asked.text == "Sure, Monday, November 9 at 3 pm. Can I have your name, please?"
    await clinic.say("Jane Doe.")
    assert clinic.calls == [check(NEXT_MONDAY, "15:00"), book(NEXT_MONDAY, "15:00", "Jane Doe")]


async def test_a_booking_asks_one_thing_at_a_time(clinic: Call) -> None:
    tuesday = date(2026, 11, 10)
    assert (await clinic.say("I want to book")).text.endswith(
        "Which day would you like to come in?"
    )
    assert (await clinic.say("next Tuesday")).text == (
        "On Tuesday, November 10 we have 9 am, 11 am or 2 pm free. Which time would you like?"
    )
    assert (await clinic.say("three thirty")).text == (
        "Tuesday, November 10 at 3:30 pm is free. Can I have your name, please?"
    )
    await clinic.say("this is Jane")
    assert clinic.calls == [check(tuesday), check(tuesday, "15:30"), book(tuesday, "15:30", "Jane")]


async def test_a_completed_booking_offers_nothing_more(clinic: Call) -> None:
    await clinic.say("I'd like to book an appointment for tomorrow at 3 pm")
    await clinic.say("My name is John Smith")
    assert clinic.state == DialogueState()


async def test_clinic_hours_and_goodbye(clinic: Call) -> None:
    hours = await clinic.say("What are your opening hours?")
    assert hours.intent == "knowledge:hours" and "9 am to 5 pm" in hours.text
    bye = await clinic.say("Bye, thanks")
    assert bye.text.endswith("Goodbye!") and bye.tool_call == ToolCall(
        END_CALL, {"reason": "caller said goodbye"}
    )


@pytest.mark.parametrize(
    "result",
    ["IN_PROGRESS", "The function failed.", None, ["x"], {"error": "open_ticket: HTTP 500"}],
)
def test_a_tool_result_that_is_no_object_or_an_error_gets_an_apology(result: Any) -> None:
    engine = DialogueEngine(scenarios.get("support_desk"))
    decision = engine.after_tool(DialogueState(), "get_order_status", {}, result)
    assert decision.text == TOOL_FAILED and decision.tool_call is None


def test_the_end_call_result_is_answered_with_silence() -> None:
    engine = DialogueEngine(scenarios.get("support_desk"))
    state = DialogueState()
    assert engine.after_tool(state, END_CALL, {"reason": "bye"}, {"ok": True}) == Decision(
        "", state
    )


def test_greeting_is_the_scenarios() -> None:
    scenario = scenarios.get("clinic_booking")
    assert DialogueEngine(scenario).greet(DialogueState()).text == scenario.greeting
