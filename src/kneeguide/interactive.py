"""The interview in a terminal: ``kneeguide assess --interactive``.

Only the questions whose answers can still change the result are asked, in
the content's ask order, with how many may follow.  Answers are checked one
at a time with the same rules as a JSON answer set, so a typo is caught at
the question, not after the last one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .adaptive import Interview
    from .guidance import Guidance
    from .models import Question

__all__ = ["run_interview"]

_YES = {"y", "yes", "true"}
_NO = {"n", "no", "false"}


def _parse(q: Question, text: str) -> tuple[object, str | None]:
    text = text.strip().lower()
    if q.type == "boolean":
        if text in _YES:
            return True, None
        if text in _NO:
            return False, None
        return None, "please answer yes or no"
    if q.type == "integer":
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
            return None, "please give a whole number"
        value = int(text)
        if (q.minimum is not None and value < q.minimum) or (q.maximum is not None and value > q.maximum):
            return None, f"please give a number from {q.minimum} to {q.maximum}"
        return value, None
    codes = [c.code for c in q.choices or ()]
    if text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= len(codes):
        return codes[int(text) - 1], None
    if text in codes:
        return text, None
    return None, f"please choose 1 to {len(codes)}"


def run_interview(guidance: Guidance, inp: TextIO, out: TextIO) -> Interview:
    """Ask only the questions that matter, one at a time, until the result is settled.

    Each answer is checked at its question.  ``back`` (or ``b``) goes back one
    question.  An optional question skipped with Enter counts as no, as it
    does in an answer file.  Asking stops at once when an emergency is
    certain; the returned interview then carries the emergency advice.
    """
    from .cli import UsageError

    answers: dict[str, object] = {}
    asked: list[str] = []
    while True:
        step = guidance.interview(answers)
        if step.status != "needs_answers":
            return step
        q = next(x for x in guidance.questions if x.id == step.next_questions[0].id)
        out.write(f"\nQuestion {len(asked) + 1} (at most {len(step.next_questions) - 1} more after this)\n")
        out.write(f"{q.text}\n  ({q.help})\n")
        if q.type == "choice":
            for n, c in enumerate(q.choices or (), 1):
                out.write(f"  {n}. {c.label}\n")
        hint = {"boolean": "yes/no", "integer": f"{q.minimum}-{q.maximum}", "choice": "number"}[q.type]
        if not q.required:
            hint += ", Enter to skip"
        if asked:
            hint += ", back"
        while True:
            out.write(f"> [{hint}] ")
            out.flush()
            line = inp.readline()
            if not line:
                raise UsageError("input ended before the questions that matter were answered")
            if line.strip().lower() in _BACK and asked:
                del answers[asked.pop()]
                break
            if not line.strip() and not q.required:
                answers[q.id] = False
                asked.append(q.id)
                break
            value, problem = _parse(q, line)
            if problem is None:
                answers[q.id] = value
                asked.append(q.id)
                break
            out.write(f"  {problem}\n")


_BACK = {"b", "back"}
