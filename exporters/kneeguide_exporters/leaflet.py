"""The patient leaflet as data, shared by the HTML and PDF exporters.

Both leaflets must say the same things in the same order, so the order, the
grouping and the English condition sentences are decided once here and the
exporters only lay them out.  Every "when" is rendered from the condition
tree (``kneeguide.renderers.to_english``), never written a second time by hand;
the clinician page shows it.  A patient reads a step's or a thermal rule's
``for_whom`` instead: plain words the content's reading-grade check covers,
because the generated English of a gated condition ("... and not ... or ...")
is too long and too formal for a leaflet.
Sources are numbered in order of first citation so the numbers read naturally.
Every word the pages add to the content comes from the guidance's locale
(``Guidance.ui``, from ``ui.yaml`` and its translations): ``Leaflet.ui``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from kneeguide.conditions import Const
from kneeguide.guidance import Guidance
from kneeguide.renderers import to_english

from .figures import pictures

__all__ = ["URGENCY_HEADING_KEYS", "Leaflet", "build", "long_date", "plain"]

URGENCY_HEADING_KEYS = {u: f"heading.{u}" for u in ("emergency", "urgent", "soon")}
"""The UI string (``ui.yaml``) heading each group of warning signs."""


@dataclass(frozen=True)
class FlagView:
    id: str
    title: str
    advice: str
    when: str
    clinician_note: str
    sources: list[int]
    urgency: str = ""


@dataclass(frozen=True)
class UrgencyGroup:
    urgency: str
    heading: str
    flags: list[FlagView]


@dataclass(frozen=True)
class ThermalView:
    id: str
    advice: str
    advice_label: str
    title: str
    when: str
    priority: int
    instructions: str
    cautions: list[str]
    rationale: str
    sources: list[int]
    always: bool = False
    """The condition is plain ``true``: in a priority table this row is the fallback."""
    for_whom: str = ""
    """Who the rule is for, in the content's plain words (empty when it is for everyone)."""


@dataclass(frozen=True)
class StepView:
    id: str
    title: str
    text: str
    when: str
    how_to: list[str]
    evidence: str
    sources: list[int]
    always: bool = False
    """The condition is plain ``true``: the step is for everyone."""
    evidence_label: str = ""
    evidence_note: str = ""
    for_whom: str = ""
    """Who the step is for, in the content's plain words (empty when it is for everyone)."""
    figure: str = ""
    """The step's picture as SVG markup (``figures.svg``, which escapes the alt text), or empty."""
    figure_alt: str = ""
    """What the picture shows, in plain words (the PDF's alt text)."""


@dataclass(frozen=True)
class SourceView:
    number: int
    id: str
    text: str
    url: str


@dataclass(frozen=True)
class Leaflet:
    id: str
    title: str
    version: str
    language: str
    publisher: str
    intended_use: str
    disclaimer: str
    approval_date: str
    last_review_date: str
    next_review_due: str
    get_help_now: list[UrgencyGroup]
    see_clinician: list[FlagView]
    during_spasm: list[StepView]
    thermal: list[ThermalView]
    prevention: list[StepView]
    sources: list[SourceView]
    hazards: list[dict[str, Any]] = field(default_factory=list)
    ui: dict[str, str] = field(default_factory=dict)
    """The page's own words in the guidance's locale (``ui.yaml``), by key."""
    dates: dict[str, str] = field(default_factory=dict)
    """``approval_date``, ``last_review_date`` and ``next_review_due`` written out in the locale."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for templates that take data, such as Typst)."""
        result: dict[str, Any] = plain(self)
        return result


def plain(value: Any) -> Any:
    """``value`` as dicts, lists and the leaves it holds: what ``dataclasses.asdict`` gives, as JSON.

    ``asdict`` deep-copies every leaf and looks up every class's fields again
    for each object, which costs more than building the leaflet itself; the
    leaves here are text, numbers and booleans, which need no copy.  Tuples
    become lists (the same JSON).
    """
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
        return {name: plain(getattr(value, name)) for name in names}
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}
"""Each view class's field names, looked up once."""


def build(g: Guidance) -> Leaflet:
    """Arrange the guidance in the order a patient needs it."""
    order: list[str] = []
    questions = {q.id: q for q in g.questions}
    titles = {rf.id: rf.title for rf in g.red_flags}

    def cite(ids: list[str]) -> list[int]:
        for sid in ids:
            if sid not in order:
                order.append(sid)
        return [order.index(sid) + 1 for sid in ids]

    def when(item_id: str) -> str:
        return to_english(g.source_conditions[item_id], questions, titles, g.ui)

    def always(item_id: str) -> bool:
        condition = g.source_conditions[item_id]
        return isinstance(condition, Const) and condition.value

    flag_views = {
        rf.id: FlagView(
            rf.id, rf.title, rf.advice, when(rf.id), rf.clinician_note, cite(list(rf.sources)), rf.urgency
        )
        for rf in sorted(
            g.red_flags, key=lambda r: ("emergency", "urgent", "soon", "self_care").index(r.urgency)
        )
    }
    groups = [
        UrgencyGroup(
            u, g.ui[URGENCY_HEADING_KEYS[u]], [flag_views[rf.id] for rf in g.red_flags if rf.urgency == u]
        )
        for u in ("emergency", "urgent")
    ]
    soon = [flag_views[rf.id] for rf in g.red_flags if rf.urgency == "soon"]

    drawn = pictures(g)

    def steps(items: Any) -> list[StepView]:
        return [
            StepView(
                s.id,
                s.title,
                s.text,
                when(s.id),
                list(s.how_to),
                s.evidence,
                cite(list(s.sources)),
                always(s.id),
                g.ui[f"evidence.{s.evidence}"],
                s.evidence_note or "",
                s.for_whom or "",
                *drawn[s.id],
            )
            for s in items
        ]

    relief = steps(g.relief)
    thermal = [
        ThermalView(
            r.id,
            r.advice,
            g.ui[f"advice_label.{r.advice}"],
            r.title,
            when(r.id),
            r.priority,
            r.instructions,
            [c.text for c in r.cautions],
            r.rationale,
            cite(r.cited),
            always(r.id),
            r.for_whom or "",
        )
        for r in g.thermal_by_priority()
    ]
    prevention = steps(g.prevention)
    sources = [
        SourceView(
            n,
            sid,
            f"{s.authors}. {s.title}. {s.publisher}; {s.year}.",
            s.url,
        )
        for n, sid in enumerate(order, 1)
        for s in (g.sources[sid],)
    ]
    m = g.metadata
    return Leaflet(
        id=m.id,
        title=m.title,
        version=m.version,
        language=m.language,
        publisher=m.publisher,
        intended_use=m.intended_use,
        disclaimer=m.disclaimer,
        approval_date=m.approval_date.isoformat(),
        last_review_date=m.last_review_date.isoformat(),
        next_review_due=m.next_review_due.isoformat(),
        get_help_now=[grp for grp in groups if grp.flags],
        see_clinician=soon,
        during_spasm=relief,
        thermal=thermal,
        prevention=prevention,
        sources=sources,
        hazards=[
            {**h.model_dump(mode="json"), "severity_label": g.ui[f"severity.{h.severity}"]} for h in g.hazards
        ],
        ui=dict(g.ui),
        dates={
            name: long_date(g, getattr(m, name))
            for name in ("approval_date", "last_review_date", "next_review_due")
        },
    )


def long_date(g: Guidance, day: dt.date) -> str:
    """``20 November 2026`` (``20 de noviembre de 2026``): unambiguous in any locale, no clock."""
    return g.words("date.long", day=day.day, month=g.ui[f"month.{day.month}"], year=day.year)
