"""Plain-language grading of patient text (SMOG, with Flesch-Kincaid for reference).

Health materials are usually gated on SMOG (McLaughlin 1969), which predicts
the US school grade needed to understand a text from its words of three or
more syllables.  We count syllables ourselves with a small, deterministic
heuristic instead of a library: textstat newer than 0.7.3 fetches NLTK data at
run time, which fails offline and would make validation depend on the network.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Grade", "grade", "syllables"]

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)|\n|:\s")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


@functools.lru_cache(maxsize=16384)
def syllables(word: str) -> int:
    """Estimate the syllables of an English word (at least one).

    Remembered per word: the same few thousand words recur in every grading.
    """
    w = word.lower().removesuffix("'s")
    if len(w) <= 3:
        return 1
    count = len(_VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # silent final e: "stretche", "rinse"
    if re.search(r"[^aeiouy](es|ed)$", w) and not re.search(r"(t|d)ed$|(s|x|z|ch|sh|g|c)es$", w):
        count -= 1  # "stretched", "cramped" (but "rested", "bruises")
    for pattern in ("ia", "io", "eo", "ua", "uo", "iu"):
        # vowel pairs that usually split: "ia" in "ischaemia", "io" in "position"
        if pattern in w and not w.endswith("tion") and not w.endswith("sion"):
            count += w.count(pattern)
    if re.search(r"[^aeiou]y[aeiou]", w):
        count += 1
    return max(1, count)


@dataclass(frozen=True)
class Grade:
    smog: float
    flesch_kincaid: float
    sentences: int
    words: int
    polysyllables: int


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]


def grade(texts: Iterable[str]) -> Grade:
    """Grade a body of text; each item also counts as ending a sentence."""
    sentences = [s for t in texts for s in _sentences(t)]
    words = [w for s in sentences for w in _WORD.findall(s)]
    if not words:
        return Grade(0.0, 0.0, 0, 0, 0)
    counts = [syllables(w) for w in words]
    poly = sum(1 for c in counts if c >= 3)
    n_sent = len(sentences)
    smog = 1.0430 * math.sqrt(poly * 30 / n_sent) + 3.1291
    fk = 0.39 * len(words) / n_sent + 11.8 * sum(counts) / len(words) - 15.59
    return Grade(round(smog, 1), round(fk, 1), n_sent, len(words), poly)
