"""``support_desk``: order status and support triage for Acme Voice, a hosted phone-system company.

Acme Voice sells phone lines, voicemail and conference bridges on its hosted PBX, and the
desk phones to use them. Callers ask where an order is, report a problem (triaged to a
category and filed as a ticket against their extension) or ask about hours and returns.
The tools' backends are deterministic fakes, so calls and tests replay identically.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from shared.scenarios.base import (
    Intent,
    Knowledge,
    Scenario,
    Slot,
    courtesy_intents,
)
from shared.scenarios.tools import tool

Category = Literal["conference", "voicemail", "calling", "billing", "internet", "other"]

_ORDERS: dict[str, dict[str, Any]] = {
    "4512": {"status": "shipped", "item": "2 desk phones", "on": "2026-11-02", "eta": "2026-11-06"},
    "1001": {"status": "processing", "item": "a conference speakerphone", "eta": "2026-11-12"},
    "2024": {"status": "delivered", "item": "a headset", "on": "2026-10-28"},
    "3300": {"status": "cancelled", "item": "a phone line upgrade"},
}


@tool
def get_order_status(order_number: str) -> dict[str, Any]:
    """Look up an order by its number and return its status and expected delivery date.

    Unknown numbers return ``found: false`` so the agent can ask the caller to check it.
    """
    number = re.sub(r"\D", "", order_number)
    order = _ORDERS.get(number)
    if order is None:
        return {"order_number": number, "found": False}
    return {"order_number": number, "found": True, **order}


@tool
def open_ticket(category: Category, extension: str, summary: str) -> dict[str, Any]:
    """Open a support ticket for a problem with the caller's phone service.

    The ticket is filed against the caller's extension; a technician calls back.
    """
    digest = hashlib.sha256(f"{category}|{extension}|{summary}".encode()).digest()
    ticket_id = str(10000 + int.from_bytes(digest[:4], "big") % 90000)
    return {"ticket_id": ticket_id, "category": category, "extension": extension}


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%B} {date.fromisoformat(iso).day}"


def _order_reply(v: Mapping[str, Any]) -> str:
    if not v.get("found"):
        return (
            f"I couldn't find an order with the number {v['order_number']}. "
            "Could you check the number and say it again?"
        )
    order = f"Your order {v['order_number']}, {v['item']},"
    if v["status"] == "shipped":
        return f"{order} shipped on {_day(v['on'])} and should arrive by {_day(v['eta'])}."
    if v["status"] == "processing":
        return f"{order} is being prepared and should arrive by {_day(v['eta'])}."
    if v["status"] == "delivered":
        return f"{order} was delivered on {_day(v['on'])}."
    return f"{order} was cancelled. Is there anything else I can do?"


def _ticket_ack(v: Mapping[str, Any]) -> str:
    if "category" not in v:
        return "I'm sorry to hear that."
    problem = "" if v["category"] == "other" else f" {v['category']}"
    return f"I'm sorry to hear that. I'll open a ticket for the{problem} problem."


def _ticket_reply(v: Mapping[str, Any]) -> str:
    problem = "" if v["category"] == "other" else f" {v['category']}"
    return (
        f"I've opened ticket {v['ticket_id']} for the{problem} problem on extension "
        f"{v['extension']}. A technician will call you back within four business hours."
    )


CATEGORIES: dict[str, tuple[str, ...]] = {
    "conference": ("conference", "bridge", "meeting room", "join", "locked", "participant"),
    "voicemail": ("voicemail", "voice mail", "mailbox", "password", "passcode", "pin", "greeting"),
    "billing": ("bill", "invoice", "charge", "payment", "overcharged"),
    "internet": ("internet", "wifi", "wi-fi", "broadband", "router", "connection"),
    "calling": ("call", "dial", "not in service", "ring", "busy", "dropped", "hear", "echo"),
}
PROBLEM_KEYWORDS = (
    *("problem", "issue", "not working", "doesn't work", "broken", "can't", "cannot", "error"),
    *("locked", "not in service", "did not match", "didn't match"),
    *("conference", "voicemail", "password"),
)
HELP = (
    "I can check the status of an order, open a support ticket for a problem with your "
    "phone service, or answer questions about our hours and returns. What would you like to do?"
)

SCENARIO = Scenario(
    name="support_desk",
    title="Acme Voice support desk: order status and support triage",
    prompt=(
        "You are the phone assistant of Acme Voice, a company that sells hosted phone lines, "
        "voicemail, conference bridges and desk phones. You speak with callers on the phone: "
        "keep every reply to one or two short sentences, plain words, no lists or markdown.\n"
        "- Order questions: ask for the order number if you do not have it, then call "
        "get_order_status and tell the caller the status and delivery date it returns.\n"
        "- Problems with conference bridges, voicemail, calling, billing or internet: work "
        "out the category, ask for the caller's extension number, then call open_ticket with "
        "a one-sentence summary and read the ticket number back.\n"
        "- Hours: Monday to Friday 8 am to 6 pm, Saturday 9 am to 1 pm. Returns: unused "
        "equipment within 30 days for a full refund.\n"
        "- Never invent order details or ticket numbers; only use what the tools return.\n"
        "- When the caller says goodbye or is done, say a short goodbye, then call end_call."
    ),
    tools=(get_order_status, open_ticket),
    intents=(
        Intent(
            name="order_status",
            examples=(
                "Where is my order?",
                "I'd like to know where my order is",
                "Can you check the status of my order?",
                "Has my order shipped yet?",
                "When will my package arrive?",
                "I want to track my order",
                "What's the status of order 4512?",
                "My delivery hasn't arrived yet",
            ),
            keywords=("order", "package", "delivery", "shipped", "track"),
            tool="get_order_status",
            ack="Sure.",
            slots=(
                Slot("order_number", "digits", prompt="What's your order number?", cues=("order",)),
            ),
            reply=_order_reply,
            follow_up="order_status",
        ),
        Intent(
            name="report_problem",
            examples=(
                "I have a problem with my phone line",
                "I want to report a problem",
                "The conference is locked and nobody can join",
                "The conference bridge isn't working",
                "My voicemail password doesn't work",
                "The passwords don't match when I set up my voicemail",
                "I can't make outbound calls",
                "Callers hear that my number is not in service",
                "I can't hear anything on my calls",
                "My internet connection keeps dropping",
                "I was charged twice on my bill",
                "Something is broken",
            ),
            keywords=PROBLEM_KEYWORDS,
            tool="open_ticket",
            ack=_ticket_ack,
            slots=(
                Slot(
                    "category",
                    "choice",
                    prompt=(
                        "Is it about a conference bridge, voicemail, calling, billing or "
                        "your internet?"
                    ),
                    choices=CATEGORIES,
                    default="other",
                ),
                Slot(
                    "extension",
                    "digits",
                    prompt="What's your extension number?",
                    cues=("extension", "ext", "line"),
                ),
                Slot("summary", "utterance"),
            ),
            reply=_ticket_reply,
        ),
        *courtesy_intents(help_reply=HELP, goodbye_reply="Thanks for calling Acme Voice. Goodbye!"),
    ),
    knowledge=(
        Knowledge(
            name="hours",
            questions=(
                "What are your opening hours?",
                "When are you open?",
                "Are you open on weekends?",
                "What time do you close today?",
            ),
            answer=(
                "We're open Monday to Friday from 8 am to 6 pm, and Saturday from 9 am to 1 pm."
            ),
            keywords=("hours", "open", "close"),
        ),
        Knowledge(
            name="returns",
            questions=(
                "What's your return policy?",
                "Can I return a phone I bought?",
                "How do I get a refund?",
                "Can I send back my headset?",
            ),
            answer=(
                "You can return unused equipment within 30 days for a full refund. We email "
                "you a prepaid return label."
            ),
            keywords=("return", "refund", "send back"),
        ),
        Knowledge(
            name="voicemail_access",
            questions=("How do I check my voicemail?", "How do I listen to my messages?"),
            answer=(
                "From your own desk phone, dial star 97 and enter your voicemail password. "
                "From any other phone, dial your number and press star during the greeting."
            ),
        ),
        Knowledge(
            name="conference_howto",
            questions=("How do I start a conference call?", "How do I join a conference bridge?"),
            answer=(
                "Dial 8000, enter your room number and then the pound key. The first person "
                "in opens the room; the host can lock it with star 1."
            ),
        ),
    ),
    greeting="Hello, you've reached Acme Voice. " + HELP,
    fallback="Sorry, I didn't catch that. " + HELP,
    reprompt=(
        "Are you still there? I can check an order or open a support ticket. How can I help?"
    ),
)
