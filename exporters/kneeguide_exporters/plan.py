"""A person's own plan: one assessment laid out as one printable page.

The leaflet tells everyone everything; a plan tells one person what applies
to them, in the order they need it: what to do now (in the urgency's words),
the warning signs that fired, ice or heat, the numbered steps that apply, and
which signs mean they should get help.  A self-care plan fits one page (two at
most with every step); an emergency plan is a single "call now" page with the
fired warning signs' advice and nothing else, so nothing can distract from it.

Everything comes from the ``Assessment`` the engine returned and the
``Guidance`` it came from: the plan decides nothing.  Every word the plan adds
itself is content too: the ``plan.*`` strings of ui.yaml, in the guidance's
locale (``plan_words``).  The HTML and PDF are laid out from the same ``Plan`` data,
like the leaflets (Jinja2 autoescapes; Typst places data as text), so markup in
content stays text in both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from kneeguide.engine import Assessment
    from kneeguide.guidance import Guidance
    from kneeguide.results import StepResult

    from .figures import Picture

__all__ = ["FORMATS", "PAPERS", "Plan", "build_plan", "plan_words", "render_plan"]

Format = Literal["html", "pdf"]
Paper = Literal["a4", "letter"]
FORMATS: Final = ("html", "pdf")
PAPERS: Final[dict[str, str]] = {"a4": "a4", "letter": "us-letter"}
"""Paper option -> Typst paper name (the CSS page size is the option itself)."""


def plan_words(guidance: Guidance) -> dict[str, str]:
    """The words the plan and the summary leaflet add, in the guidance's locale (``plan.*`` in ui.yaml)."""
    return {k.removeprefix("plan."): v for k, v in guidance.ui.items() if k.startswith("plan.")}


@dataclass(frozen=True)
class FlagLine:
    title: str
    advice: str


@dataclass(frozen=True)
class StepLine:
    title: str
    text: str
    how_to: list[str]
    figure: str = ""
    """The step's picture as SVG markup, or empty (see ``leaflet.StepView``)."""
    figure_alt: str = ""


@dataclass(frozen=True)
class WatchGroup:
    urgency: str
    heading: str
    titles: list[str]


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    guide_title: str
    language: str
    urgency: str
    emergency: bool
    now: str
    lead: str
    fired: list[FlagLine]
    thermal_label: str
    thermal_advice: str
    thermal_title: str
    thermal_instructions: str
    thermal_cautions: list[str]
    relief: list[StepLine]
    prevention: list[StepLine]
    watch: list[WatchGroup]
    version: str
    last_review_date: str
    next_review_due: str
    dates: dict[str, str]
    """The review dates written out in the locale (as in the leaflet)."""
    sources: list[str]
    publisher: str
    disclaimer: str
    words: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for the Typst template."""
        from .leaflet import plain

        result: dict[str, Any] = plain(self)
        return result


def build_plan(guidance: Guidance, assessment: Assessment) -> Plan:
    """Arrange one assessment for the person it is about.

    The warning signs to watch for are every sign that did not fire, most
    urgent first, by title: a person scans them, the full advice is in the
    leaflet.  Sources are those of what the plan shows, in order of first use.
    """
    from .figures import pictures
    from .leaflet import long_date

    g, a = guidance, assessment
    words = plan_words(g)
    emergency = a.urgency == "emergency"
    fired_ids = {f.id for f in a.red_flags}
    fired = a.shown_red_flags
    drawn = {} if emergency else pictures(g)
    relief = [] if emergency else [_step(s, drawn) for s in a.relief]
    prevention = [] if emergency else [_step(s, drawn) for s in a.prevention]
    to_watch = [rf for rf in g.red_flags if rf.id not in fired_ids and not rf.out_of_scope]
    watch = [
        WatchGroup(u, words[f"watch_{u}"], titles)
        for u in ("emergency", "urgent", "soon")
        for titles in ([rf.title for rf in to_watch if rf.urgency == u],)
        if titles and not emergency
    ]
    cited: list[str] = []
    shown = [*(f.sources for f in fired)]
    if not emergency:
        shown += [a.thermal.sources, *(s.sources for s in (*a.relief, *a.prevention))]
    for ids in shown:
        cited += [sid for sid in ids if sid not in cited]
    m = g.metadata
    t = a.thermal
    return Plan(
        id=m.id,
        title=f"{words['title']}: {m.title}",
        guide_title=m.title,
        language=m.language,
        urgency=a.urgency,
        emergency=emergency,
        now=words[f"now_{a.urgency}"],
        lead=words[f"lead_{a.urgency}"],
        fired=[FlagLine(f.title, f.advice) for f in fired],
        thermal_label="" if emergency else g.ui[f"advice_label.{t.advice}"],
        thermal_advice="" if emergency else t.advice,
        thermal_title="" if emergency else t.title,
        thermal_instructions="" if emergency else t.instructions,
        thermal_cautions=[] if emergency else list(t.cautions),
        relief=relief,
        prevention=prevention,
        watch=watch,
        version=m.version,
        last_review_date=m.last_review_date.isoformat(),
        next_review_due=m.next_review_due.isoformat(),
        dates={name: long_date(g, getattr(m, name)) for name in ("last_review_date", "next_review_due")},
        sources=[_short_reference(g, sid) for sid in cited],
        publisher=m.publisher,
        disclaimer=m.disclaimer,
        words=words,
    )


def _step(s: StepResult, drawn: dict[str, Picture]) -> StepLine:
    from .figures import NO_PICTURE

    return StepLine(s.title, s.text, list(s.how_to), *drawn.get(s.id, NO_PICTURE))


def _short_reference(g: Guidance, sid: str) -> str:
    """``Allen RE et al. 2012``: enough to find the source in the leaflet's list, short enough to print."""
    s = g.sources[sid]
    first, _, rest = s.authors.partition(",")
    return f"{first}{' et al.' if rest else ''} {s.year}"


def render_plan(guidance: Guidance, assessment: Assessment, fmt: str = "html", paper: str = "a4") -> bytes:
    """The plan as a standalone HTML page or a tagged (PDF/UA-1) PDF on A4 or US Letter.

    The same assessment always gives the same bytes (the PDF's date is the
    guidance's approval date, never the clock).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown plan format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}: expected one of {', '.join(PAPERS)}")
    plan = build_plan(guidance, assessment)
    if fmt == "html":
        from .html import render_template

        return render_template("plan.html.j2", plan=plan, paper=paper)
    from .pdf import compile_typst

    content = json.dumps(plan.to_dict(), ensure_ascii=False, sort_keys=True)
    approved = guidance.metadata.approval_date.isoformat()
    return compile_typst("plan.typ", {"plan": content, "paper": PAPERS[paper]}, approved)
