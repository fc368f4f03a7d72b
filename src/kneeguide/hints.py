"""Suggestions for a mistyped name: one place, so every message suggests alike.

An author who writes ``cannot_bear_wieght`` or ``urgncy`` has made one typing
mistake; naming the closest known name fixes it faster than any list.  The
same cut-off is used for question ids, choices, red flags, sources, field
names and file names, so the hints are predictable.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]

CUTOFF = 0.75


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name``, when one is close enough to be a typo and no other is as close."""
    candidates = sorted(set(known))
    if name in candidates:
        return None
    close = difflib.get_close_matches(name, candidates, n=2, cutoff=CUTOFF)
    if len(close) == 2 and _score(name, close[0]) == _score(name, close[1]):
        return None  # 'source_x' is as close to 'source_a' as to 'source_b': no guess helps
    return close[0] if close else None


def _score(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or nothing."""
    match = closest(name, known)
    return f" (did you mean {match!r}?)" if match else ""
