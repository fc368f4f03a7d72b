"""The ``html`` exporter: a patient leaflet and a clinician page, each one standalone file.

Vendors show the leaflet to patients, many of them older, on phones, some with
screen readers.  So each page is a single file that carries its own CSS, runs
no script and loads nothing (its Content-Security-Policy forbids it), and is
laid out from ``leaflet.build``: the order, the grouping and every English
"when" sentence come from there, so the HTML and PDF leaflets cannot drift.
Jinja2 autoescapes every value, which is what keeps markup in the content
from ever becoming markup in the page.

Jinja2 is imported inside ``render``: ``kneeguide formats`` imports this module
only to list the format, and should not pay for a template engine.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from kneeguide import hookimpl
from kneeguide.errors import MissingExtraError
from kneeguide.hookspecs import ExportFormat

if TYPE_CHECKING:
    import jinja2

    from kneeguide.guidance import Guidance

__all__ = ["kneeguide_formats", "render", "render_template"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_URGENCY_LABELS = {
    "emergency": "Emergency",
    "urgent": "Urgent (today)",
    "soon": "Soon (within days)",
    "self_care": "Self-care",
}


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    """Offer the ``html`` format: the leaflet and the clinician page."""
    return [
        ExportFormat(
            name="html",
            media_type="text/html",
            render=render,
            description="accessible patient leaflet and clinician page, standalone HTML",
        )
    ]


def render(guidance: Guidance) -> dict[str, bytes]:
    """Render ``<id>.html`` (for patients), ``<id>-summary.html`` (short) and ``<id>-clinician.html``.

    The same guidance always gives the same bytes: nothing depends on the
    clock, the locale or the platform's line endings.
    """
    from . import leaflet
    from .plan import WORDS

    data = leaflet.build(guidance)
    red_flags = [flag for group in data.get_help_now for flag in group.flags] + data.see_clinician
    rule_ids = {
        *(flag.id for flag in red_flags),
        *(rule.id for rule in data.thermal),
        *(step.id for step in (*data.during_spasm, *data.prevention)),
    }
    common: dict[str, Any] = {"leaflet": data}
    pages: dict[str, tuple[str, dict[str, Any]]] = {
        f"{data.id}.html": (
            "leaflet.html.j2",
            {
                "page_title": data.title,
                "description": f"{data.title}: warning signs, what to do during a spasm, ice or heat, "
                "and how to stop spasms coming back.",
                "body_class": "page-leaflet",
                "soon_heading": leaflet.URGENCY_HEADINGS["soon"],
                "flag_details": WORDS["flag_details"],
                "contents": [
                    ("get-help", "Get help now"),
                    ("see-clinician", "See a clinician"),
                    ("during-spasm", "During a spasm"),
                    ("ice-or-heat", "Ice or heat"),
                    ("prevention", "Prevention"),
                    ("sources", "Sources"),
                    ("about", "About this guide"),
                ],
            },
        ),
        f"{data.id}-clinician.html": (
            "clinician.html.j2",
            {
                "page_title": f"{data.title}: clinician reference",
                "description": f"{data.title}: rules, conditions, evidence, sources and hazard log.",
                "body_class": "page-wide",
                "red_flags": red_flags,
                "rule_ids": rule_ids,
                "urgency_labels": _URGENCY_LABELS,
                "contents": [
                    ("red-flags", "Red flags"),
                    ("thermal-rules", "Ice and heat rules"),
                    ("relief-steps", "During a spasm"),
                    ("prevention-steps", "Prevention"),
                    ("hazards", "Hazard log"),
                    ("sources", "Sources"),
                    ("about", "About this guide"),
                ],
            },
        ),
    }
    pages[f"{data.id}-summary.html"] = ("summary.html.j2", {"w": WORDS})
    env = _environment()
    return {
        name: _to_bytes(env.get_template(template).render(**common, **context))
        for name, (template, context) in pages.items()
    }


def render_template(template: str, **context: Any) -> bytes:
    """One template of the package rendered to bytes (the personal plan uses it too)."""
    return _to_bytes(_environment().get_template(template).render(**context))


@functools.cache
def _environment() -> jinja2.Environment:
    """One template environment per process; templates load from the installed package."""
    try:
        import jinja2
    except ImportError:  # a lean install: say which extra brings it
        raise MissingExtraError("html", "jinja2", "the html format") from None

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kneeguide_exporters", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = _long_date
    env.filters["full_stop"] = _full_stop
    return env


def _long_date(iso: str) -> str:
    """``2026-11-20`` -> ``20 November 2026``: unambiguous to any English reader, locale-free."""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _full_stop(text: str) -> str:
    """End a rendered condition as a sentence, without doubling punctuation."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _to_bytes(page: str) -> bytes:
    """UTF-8 with ``\\n`` line ends, whatever the platform or template checkout did."""
    return page.replace("\r\n", "\n").encode("utf-8")
