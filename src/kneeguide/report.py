"""The plain-text assessment a person reads in a terminal.

Order matters more than layout: what to do now (urgency and red flags) comes
first, then ice or heat with its cautions, then relief, prevention and the
sources behind every piece of advice.  Every word the report adds to the
content is a UI string of the guidance's locale (``ui.yaml``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .models import URGENCIES

if TYPE_CHECKING:
    from .adaptive import Interview
    from .engine import Assessment
    from .guidance import Guidance

__all__ = ["URGENCY_KEYS", "assessment_text", "interview_text"]

URGENCY_KEYS = {u: f"report.headline.{u}" for u in URGENCIES}
"""The UI string (``ui.yaml``) of each urgency's headline."""


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=78, initial_indent=indent, subsequent_indent=indent)


def assessment_text(guidance: Guidance, a: Assessment) -> str:
    cited: list[str] = []

    def cite(ids: Sequence[str]) -> str:
        for s in ids:
            if s not in cited:
                cited.append(s)
        return "[" + ", ".join(str(cited.index(s) + 1) for s in ids) + "]"

    w = guidance.words
    out = [w(URGENCY_KEYS[a.urgency]), ""]
    if a.red_flags:
        out.append(w("report.what_to_do_now"))
        for rf in a.shown_red_flags:
            urgency = w(f"urgency.{rf.urgency}")
            out.append(_wrap(f"- {rf.title} ({urgency}): {rf.advice} {cite(rf.sources)}"))
        out.append("")
    t = a.thermal
    out.append(w("report.ice_or_heat", advice=w(f"report.advice.{t.advice}"), title=t.title))
    out.append(_wrap(f"{t.instructions} {cite(t.sources)}"))
    for c in t.cautions:
        out.append(_wrap(w("report.caution", text=c), "  ! "))
    out.append("")
    for heading, steps in (
        (w("report.during_spasm"), a.relief),
        (w("report.prevention"), a.prevention),
    ):
        if not steps:
            continue
        out.append(heading)
        for st in steps:
            out.append(_wrap(f"- {st.title}: {st.text} {cite(st.sources)}"))
            for n, line in enumerate(st.how_to, 1):
                out.append(_wrap(f"{n}. {line}", "      "))
        out.append("")
    out.append(w("report.sources"))
    for n, sid in enumerate(cited, 1):
        s = guidance.sources[sid]
        out.append(_wrap(f"[{n}] {s.authors}. {s.title}. {s.publisher}, {s.year}. {s.url}"))
    out.append("")
    out.append(_wrap(a.disclaimer, ""))
    out.append(f"({a.guidance.id} {a.guidance.version})")
    return "\n".join(out) + "\n"


def interview_text(guidance: Guidance, step: Interview) -> str:
    """An interview step in words: the result once settled, else what to ask next."""
    if step.assessment is not None:
        return assessment_text(guidance, step.assessment)
    w = guidance.words
    lines = [w("report.more_questions", count=len(step.next_questions), answered=step.answered), ""]
    for n, q in enumerate(step.next_questions, 1):
        lines.append(_wrap(f"{n}. {q.text} [{q.id}]", ""))
    if step.urgency_at_least != "self_care":
        headline = w(URGENCY_KEYS[step.urgency_at_least])
        lines += ["", _wrap(w("report.already_certain", headline=headline), "")]
    return "\n".join(lines) + "\n"
