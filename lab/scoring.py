"""Word error rate with one normalizer for reference and hypothesis alike.

Whisper's English normalizer (the Open ASR Leaderboard's choice) spells numbers as digits
("five five" -> "55") but mangles an ASR's "4 5 1 2" (into "45 one 2"); runs of single digits
are joined before and after it, on both sides, so a digit string scores the same however
it was written.
"""

from __future__ import annotations

import re
from functools import cache

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
