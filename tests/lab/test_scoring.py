"""One normalizer for reference and hypothesis: digit strings score the same however written."""

from __future__ import annotations

import pytest

from lab.scoring import normalize, word_error_rate


@pytest.mark.parametrize(
    ("spoken", "transcribed"),
    [
        ("five five", "5 5"),
        ("It's four five one two.", "It's 4 5 1 2."),
        ("ten of clubs", "10 of Clubs."),
    ],
)
def test_digits_normalize_alike(spoken: str, transcribed: str) -> None:
    assert normalize(spoken) == normalize(transcribed)


def test_corpus_wer_counts_words_across_turns() -> None:
    references = ["the conference is currently locked", "five five"]
    hypotheses = ["The conferences currently locked.", "55"]
    assert word_error_rate(references, hypotheses) == pytest.approx(2 / 6)


def test_no_reference_words_is_an_error() -> None:
    with pytest.raises(ValueError, match="no reference"):
        word_error_rate([""], ["hello"])
