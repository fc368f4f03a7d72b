"""The plain-text assessment a person reads in a terminal.

Order matters more than layout: what to do now (urgency and red flags) comes
first, then ice or heat with its cautions, then relief, prevention and the
sources behind every piece of advice.
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

__all__ = ["assessment_text", "interview_text"]

HEADLINES = {
    "emergency": "EMERGENCY: call emergency services now (999 in the UK, 911 in the US).",
    "urgent": "URGENT: get medical help today.",
    "soon": "SEE A CLINICIAN: book an appointment within the next few days.",
    "self_care": "SELF-CARE: you can look after this at home. Get help if anything below changes.",
}

_ADVICE = {"ice": "Use ice", "heat": "Use heat", "none": "No ice or heat"}


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=78, initial_indent=indent, subsequent_indent=indent)


def assessment_text(guidance: Guidance, a: Assessment) -> str:
    cited: list[str] = []

    def cite(ids: Sequence[str]) -> str:
        for s in ids:
            if s not in cited:
                cited.append(s)
        return "[" + ", ".join(str(cited.index(s) + 1) for s in ids) + "]"

    out = [HEADLINES[a.urgency], ""]
    if a.red_flags:
        out.append("What to do now")
        for rf in sorted(a.red_flags, key=lambda r: -URGENCIES.index(r.urgency)):
            out.append(
                _wrap(f"- {rf.title} ({rf.urgency.replace('_', ' ')}): {rf.advice} {cite(rf.sources)}")
            )
        out.append("")
    t = a.thermal
    out.append(f"Ice or heat: {_ADVICE[t.advice]} - {t.title}")
    out.append(_wrap(f"{t.instructions} {cite(t.sources)}"))
    for c in t.cautions:
        out.append(_wrap(f"Caution: {c}", "  ! "))
    out.append("")
    for heading, steps in (("During a spasm", a.relief), ("To help prevent spasms", a.prevention)):
        if not steps:
            continue
        out.append(heading)
        for st in steps:
            out.append(_wrap(f"- {st.title}: {st.text} {cite(st.sources)}"))
            for n, line in enumerate(st.how_to, 1):
                out.append(_wrap(f"{n}. {line}", "      "))
        out.append("")
    out.append("Sources")
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
    lines = [
        f"{len(step.next_questions)} more question(s) can change the result "
        f"({step.answered} answered). Ask next:",
        "",
    ]
    for n, q in enumerate(step.next_questions, 1):
        lines.append(_wrap(f"{n}. {q.text} [{q.id}]", ""))
    if step.urgency_at_least != "self_care":
        lines += ["", _wrap(f"Already certain: {HEADLINES[step.urgency_at_least]}", "")]
    return "\n".join(lines) + "\n"
