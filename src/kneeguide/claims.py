"""Claims the sources do not support, refused anywhere in patient text.

The evidence does not support fluids, electrolytes or minerals as a way to
prevent cramps (Schwellnus 2008, Miller 2021, Cochrane CD009402), and quinine
must not be used routinely (FDA 2010, MHRA 2014).  A clinician editing the
content could reintroduce such a claim in good faith; these patterns stop it
at validation time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BANNED_CLAIMS", "Claim"]


_NEGATION = re.compile(r"\b(?:no|not|little|weak|unclear|never|doesn't|don't|isn't)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")


@dataclass(frozen=True)
class Claim:
    id: str
    pattern: re.Pattern[str]
    message: str
    negation_allowed: bool = False
    """A sentence that denies the claim ("there is little proof that ...") is fine."""

    def find(self, text: str) -> re.Match[str] | None:
        """The first sentence-level occurrence of the claim in ``text``."""
        for sentence in _SENTENCE.finditer(text):
            m = self.pattern.search(text, sentence.start(), sentence.end())
            if m and not (self.negation_allowed and _NEGATION.search(sentence.group())):
                return m
        return None


_REMEDY = (
    r"(?:drink\w*|fluids?|water|hydrat\w*|electrolytes?|potassium|magnesium|calcium|sodium|salt"
    r"|bananas?|sports drinks?|supplements?)"
)

BANNED_CLAIMS: tuple[Claim, ...] = (
    Claim(
        "quinine",
        re.compile(r"\bquinine\b|\btonic water\b", re.IGNORECASE),
        "patient text must not mention quinine: it is not recommended for cramps (FDA 2010, MHRA 2014)",
    ),
    Claim(
        "remedy_prevents_cramps",
        re.compile(
            rf"\b{_REMEDY}\b[^.!?]*\b(?:prevents?|stops?|cures?|treats?|avoids?)\b[^.!?]*\bcramps?",
            re.IGNORECASE,
        ),
        "the sources do not support fluids, electrolytes or minerals preventing or "
        "treating cramps; offer diet and fluids only as general health advice",
        negation_allowed=True,
    ),
    Claim(
        "prevent_cramps_with_remedy",
        re.compile(
            rf"\b(?:prevent|stop|cure|treat|avoid)\w*\b[^.!?]*\bcramps?\b[^.!?]*\b{_REMEDY}\b", re.IGNORECASE
        ),
        "the sources do not support fluids, electrolytes or minerals preventing or "
        "treating cramps; offer diet and fluids only as general health advice",
        negation_allowed=True,
    ),
    Claim(
        "certainty",
        re.compile(r"\b(?:guarantee\w*|always works|cures? (?:your |the )?cramps?|100 ?%)", re.IGNORECASE),
        "do not promise results the evidence cannot support",
    ),
    Claim(
        "diagnosis",
        re.compile(
            r"\byou (?:have|definitely have|are suffering from) (?:a )?"
            r"(?:DVT|deep vein|thrombosis|clot|infection|sepsis)\b",
            re.IGNORECASE,
        ),
        "the guidance gives general information and does not diagnose",
    ),
)
