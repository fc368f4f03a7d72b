"""Ask each question in the terminal, with its help text, and check each answer.

Used by ``kneeguide assess --interactive``.  Answers are checked one at a
time with the same rules as a JSON answer set, so a typo is caught at the
question, not after the last one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TextIO

from .errors import UsageError

if TYPE_CHECKING:
    from .guidance import Guidance
    from .models import Question

__all__ = ["ask_all"]

_YES = {"y", "yes", "true"}
_NO = {"n", "no", "false"}
_NUMBER = re.compile(r"^[+-]?[0-9]{1,9}$")
"""A whole number as typed: ASCII digits only.  ``int`` also takes other
scripts' digits ("٤٠") and underscores ("4_0"), and ``str.isdigit`` takes
superscripts ("²") that ``int`` then refuses: neither is what a person meant
to type at a prompt, and the second was a crash."""


def _parse(q: Question, text: str) -> tuple[object, str | None]:
    text = text.strip().lower()
    if q.type == "boolean":
        if text in _YES:
            return True, None
        if text in _NO:
            return False, None
        return None, "please answer yes or no"
    if q.type == "integer":
        if not _NUMBER.match(text):
            return None, "please give a whole number, in the digits 0-9"
        value = int(text)
        if (q.minimum is not None and value < q.minimum) or (q.maximum is not None and value > q.maximum):
            return None, f"please give a number from {q.minimum} to {q.maximum}"
        return value, None
    codes = [c.code for c in q.choices or ()]
    if _NUMBER.match(text) and 1 <= int(text) <= len(codes):
        return codes[int(text) - 1], None
    if text in codes:
        return text, None
    return None, f"please choose 1 to {len(codes)}"


def ask_all(guidance: Guidance, inp: TextIO, out: TextIO) -> dict[str, object]:
    """Ask every question in order and return the answers."""
    answers: dict[str, object] = {}
    for q in guidance.questions:
        out.write(f"\n{q.text}\n  ({q.help})\n")
        if q.type == "choice":
            for n, c in enumerate(q.choices or (), 1):
                out.write(f"  {n}. {c.label}\n")
        hint = {"boolean": "yes/no", "integer": f"{q.minimum}-{q.maximum}", "choice": "number"}[q.type]
        if not q.required:
            hint += ", Enter to skip"
        while True:
            out.write(f"> [{hint}] ")
            out.flush()
            line = inp.readline()
            if not line:
                raise UsageError("input ended before every question was answered")
            if not line.strip() and not q.required:
                break
            value, problem = _parse(q, line)
            if problem is None:
                answers[q.id] = value
                break
            out.write(f"  {problem}\n")
    return answers
