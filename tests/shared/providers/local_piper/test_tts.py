"""local-piper: the first clause of a long sentence is synthesized on its own."""

from __future__ import annotations

import pytest

from shared.providers.local_piper.tts import first_clause_apart

LONG = "Your order 4512, two desk phones, shipped on November 2 and should arrive by November 6."


def test_a_long_sentence_speaks_its_first_clause_first() -> None:
    assert first_clause_apart(LONG) == [
        "Your order 4512,",
        "two desk phones, shipped on November 2 and should arrive by November 6.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Sure, what's your order number?",  # short: one piece
        "Yes, I can help with that order and open a ticket for the problem you describe.",
        "I can check the status of an order or open a support ticket for your phone service.",
    ],
)
def test_short_sentences_and_early_or_missing_commas_stay_whole(text: str) -> None:
    assert first_clause_apart(text) == [text]
