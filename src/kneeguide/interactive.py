"""The interview in a terminal: ``kneeguide assess --interactive``.

Only the questions whose answers can still change the result are asked, in
the content's ask order, with how many may follow.  Answers are checked one
at a time with the same rules as a JSON answer set, so a typo is caught at
the question, not after the last one.  Every word the interview adds (the
progress line, the hints, the words for yes, no and back, what is wrong with
an answer) is a UI string of the guidance's locale (``interview.*`` in
``ui.yaml``); the English yes, no and back are understood in every locale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .adaptive import Interview
    from .guidance import Guidance
    from .models import Question

__all__ = ["run_interview"]

_YES = frozenset({"y", "yes", "true"})
_NO = frozenset({"n", "no", "false"})
_BACK = frozenset({"b", "back"})


class _Words:
    """The interview's words in one locale, and the replies it understands."""

    def __init__(self, guidance: Guidance) -> None:
        self.g = guidance

        def replies(key: str, english: frozenset[str]) -> frozenset[str]:
            return english | frozenset(guidance.words(key).lower().split())

        self.yes = replies("interview.yes_words", _YES)
        self.no = replies("interview.no_words", _NO)
        self.back = replies("interview.back_words", _BACK)
        if self.yes & self.no or (self.yes | self.no) & self.back:
            raise ValueError("the interview's words for yes, no and back must not share a reply")

    def parse(self, q: Question, text: str) -> tuple[object, str | None]:
        """The answer ``text`` gives to ``q``, or the problem to show."""
        words = self.g.words
        text = text.strip().lower()
        if q.type == "boolean":
            if text in self.yes:
                return True, None
            if text in self.no:
                return False, None
            return None, words("interview.answer_yes_or_no")
        if q.type == "integer":
            if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
                return None, words("interview.whole_number")
            value = int(text)
            if (q.minimum is not None and value < q.minimum) or (q.maximum is not None and value > q.maximum):
                return None, words("interview.number_range", minimum=q.minimum, maximum=q.maximum)
            return value, None
        codes = [c.code for c in q.choices or ()]
        if text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= len(codes):
            return codes[int(text) - 1], None
        if text in codes:
            return text, None
        return None, words("interview.choose", count=len(codes))

    def hint(self, q: Question, can_go_back: bool) -> str:
        """What may be typed at ``q``, shown before the cursor."""
        words = self.g.words
        hint = {
            "boolean": words("interview.hint.boolean"),
            "integer": f"{q.minimum}-{q.maximum}",
            "choice": words("interview.hint.choice"),
        }[q.type]
        if not q.required:
            hint += words("interview.hint.skip")
        if can_go_back:
            hint += words("interview.hint.back")
        return hint


def run_interview(guidance: Guidance, inp: TextIO, out: TextIO) -> Interview:
    """Ask only the questions that matter, one at a time, until the result is settled.

    Each answer is checked at its question.  ``back`` (or ``b``, or the
    locale's word) goes back one question.  An optional question skipped with
    Enter counts as no, as it does in an answer file.  Asking stops at once
    when an emergency is certain; the returned interview then carries the
    emergency advice.
    """
    from .cli import UsageError

    w = _Words(guidance)
    answers: dict[str, object] = {}
    asked: list[str] = []
    while True:
        step = guidance.interview(answers)
        if step.status != "needs_answers":
            return step
        q = next(x for x in guidance.questions if x.id == step.next_questions[0].id)
        progress = guidance.words(
            "interview.progress", number=len(asked) + 1, more=len(step.next_questions) - 1
        )
        out.write(f"\n{progress}\n")
        out.write(f"{q.text}\n  ({q.help})\n")
        if q.type == "choice":
            for n, c in enumerate(q.choices or (), 1):
                out.write(f"  {n}. {c.label}\n")
        hint = w.hint(q, bool(asked))
        while True:
            out.write(f"> [{hint}] ")
            out.flush()
            line = inp.readline()
            if not line:
                raise UsageError(guidance.words("interview.input_ended"))
            if line.strip().lower() in w.back and asked:
                del answers[asked.pop()]
                break
            if not line.strip() and not q.required:
                answers[q.id] = False
                asked.append(q.id)
                break
            value, problem = w.parse(q, line)
            if problem is None:
                answers[q.id] = value
                asked.append(q.id)
                break
            out.write(f"  {problem}\n")
