"""Reading-grade checks per language: SMOG for English, Szigriszt-Pazos (INFLESZ) for Spanish.

English keeps the project's SMOG grade (``kneeguide.readability``).  Spanish
text is measured with the Szigriszt-Pazos perspicuity formula, the one the
INFLESZ scale is built on::

    P = 206.835 - 62.3 * (syllables / words) - (words / sentences)

(Szigriszt Pazos F. *Sistemas predictivos de legibilidad del mensaje
escrito: fórmula de perspicuidad.* Tesis doctoral, Universidad Complutense
de Madrid, 1993; the INFLESZ bands are from Barrio-Cantalejo IM et al.,
*Validación de la Escala INFLESZ para evaluar la legibilidad de los textos
dirigidos a pacientes*, An Sist Sanit Navar 2008;31(2):135-52).  Higher is
easier: below 40 very hard, 40-55 somewhat hard, 55-65 normal, 65-80
fairly easy, over 80 very easy.  INFLESZ asks for at least 55 in text for
the public.

Syllables are counted from Spanish spelling, which marks them well: each
run of vowels is one syllable unless it holds two strong vowels (a, e, o,
or an accented i or u), which fall in separate syllables (hiatus); the u of
que, qui, gue and gui is silent, and a final y is a vowel (muy, hoy).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SpanishGrade", "spanish_grade", "spanish_syllables"]

_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]+")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)|\n|:\s")
_STRONG = set("aeoáéóíú")
_VOWELS = set("aeiouáéíóúü")
_SILENT_U = re.compile(r"(?<=[qg])u(?=[eiéí])")


@functools.lru_cache(maxsize=16384)
def spanish_syllables(word: str) -> int:
    """The syllables of a Spanish word (at least one), from its spelling (remembered per word)."""
    w = _SILENT_U.sub("", word.lower())
    if w.endswith("y") and len(w) > 1 and w[-2] in _VOWELS:
        w = w[:-1] + "i"
    elif w == "y":
        return 1
    count = 0
    run = ""
    for ch in w + " ":
        if ch in _VOWELS:
            run += ch
            continue
        if run:
            strong = sum(1 for c in run if c in _STRONG)
            count += max(1, strong)
            run = ""
    return max(1, count)


@dataclass(frozen=True)
class SpanishGrade:
    szigriszt_pazos: float
    sentences: int
    words: int
    syllables: int

    @property
    def band(self) -> str:
        """The INFLESZ band of the score."""
        p = self.szigriszt_pazos
        for limit, name in ((40, "very hard"), (55, "somewhat hard"), (65, "normal"), (80, "fairly easy")):
            if p < limit:
                return name
        return "very easy"


def spanish_grade(texts: Iterable[str]) -> SpanishGrade:
    """The Szigriszt-Pazos score of a body of text; each item also ends a sentence."""
    sentences = [s for t in texts for s in _SENTENCE_END.split(t) if _WORD.search(s)]
    words = [w for s in sentences for w in _WORD.findall(s)]
    if not words:
        return SpanishGrade(0.0, 0, 0, 0)
    syllables = sum(spanish_syllables(w) for w in words)
    score = 206.835 - 62.3 * syllables / len(words) - len(words) / len(sentences)
    return SpanishGrade(round(score, 1), len(sentences), len(words), syllables)
