"""Word error rate with one normalizer for reference and hypothesis alike.

Whisper's English normalizer (the Open ASR Leaderboard's choice) spells numbers as digits
("five five" -> "55") but mangles an ASR's "4 5 1 2" (into "45 one 2"); runs of single digits
are joined before and after it, on both sides, so a digit string scores the same however
it was written.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

NORMALIZER_VERSION = "whisper-english/whisper-normalizer-0.1.15+digit-runs-1"
_DIGIT_RUN = re.compile(r"\b\d(?:\s\d)+\b")


@cache
def _english() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


def _join_digit_runs(text: str) -> str:
    return _DIGIT_RUN.sub(lambda match: match.group(0).replace(" ", ""), text)


def normalize(text: str) -> str:
    return _join_digit_runs(_english()(_join_digit_runs(text))).strip()


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER over normalized texts (empty references are skipped, as they carry no words)."""
    pairs = [(normalize(r), normalize(h)) for r, h in zip(references, hypotheses, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        raise ValueError("no reference words to score against")
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))


@dataclass(frozen=True)
class TextScore:
    """One hypothesis against its reference, after normalizing both alike.

    Errors and lengths are kept (not just rates) so a corpus rate is the sum of errors over
    the sum of reference lengths, as the Open ASR Leaderboard computes it, not a mean of rates.
    """

    reference: str  # normalized
    hypothesis: str  # normalized
    word_errors: int
    words: int
    char_errors: int
    chars: int
    digits_ok: bool | None  # None: the reference holds no number

    @property
    def wer(self) -> float:
        return self.word_errors / self.words if self.words else 0.0

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0

    def scores(self) -> dict[str, Any]:
        """A sample's scores as the runners store them (counts, so metrics can pool)."""
        return {**asdict(self), "wer": round(self.wer, 4)}


def digit_strings(normalized: str) -> list[str]:
    """The numbers a normalized text holds, in order ("4512", "3")."""
    return re.findall(r"\d+", normalized)


def score_text(reference: str, hypothesis: str) -> TextScore:
    """Word and character errors and whether every number came through (one sample)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    words, chars = len(ref.split()), len(ref)
    if not ref:
        word_errors, char_errors = len(hyp.split()), len(hyp)
    elif not hyp:
        word_errors, char_errors = words, chars
    else:
        w, c = jiwer.process_words(ref, hyp), jiwer.process_characters(ref, hyp)
        word_errors = w.substitutions + w.deletions + w.insertions
        char_errors = c.substitutions + c.deletions + c.insertions
    numbers = digit_strings(ref)
    digits_ok = (digit_strings(hyp) == numbers) if numbers else None
    return TextScore(ref, hyp, word_errors, words, char_errors, chars, digits_ok)
