"""One normalizer for reference and hypothesis: digit strings score the same however written."""

from __future__ import annotations

import pytest

from lab.scoring import normalize, score_text, word_error_rate


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


def test_a_score_is_stored_as_counts_and_its_rate() -> None:
    scores = score_text("my extension is five five", "my extension is 5").scores()
    assert scores["reference"] == "my extension is 55"
    assert scores["hypothesis"] == "my extension is 5"
    assert (scores["word_errors"], scores["words"], scores["wer"]) == (1, 4, 0.25)
    assert scores["digits_ok"] is False and {"char_errors", "chars"} <= scores.keys()
