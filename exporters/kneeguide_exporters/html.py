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

import functools
from typing import TYPE_CHECKING, Any

from kneeguide import hookimpl
from kneeguide.errors import MissingExtraError
from kneeguide.hookspecs import ExportFormat

if TYPE_CHECKING:
    import jinja2

    from kneeguide.guidance import Guidance

__all__ = ["kneeguide_formats", "render", "render_template"]


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
    clock, the machine's locale or the platform's line endings.  Every word
    the pages add is the guidance's own locale's (``Guidance.ui``), and the
    page's ``lang`` is that locale.
    """
    from . import leaflet
    from .plan import plan_words

    data = leaflet.build(guidance)
    ui = data.ui
    red_flags = [flag for group in data.get_help_now for flag in group.flags] + data.see_clinician
    rule_ids = {
        *(flag.id for flag in red_flags),
        *(rule.id for rule in data.thermal),
        *(step.id for step in (*data.during_spasm, *data.prevention)),
    }
    common: dict[str, Any] = {"leaflet": data, "ui": ui}
    pages: dict[str, tuple[str, dict[str, Any]]] = {
        f"{data.id}.html": (
            "leaflet.html.j2",
            {
                "page_title": data.title,
                "description": guidance.words("leaflet.description", title=data.title),
                "body_class": "page-leaflet",
                "soon_heading": ui[leaflet.URGENCY_HEADING_KEYS["soon"]],
                "flag_details": ui["plan.flag_details"],
                "contents": [
                    ("get-help", ui["leaflet.get_help_now"]),
                    ("see-clinician", ui["leaflet.see_clinician"]),
                    ("during-spasm", ui["leaflet.during_spasm"]),
                    ("ice-or-heat", ui["leaflet.ice_or_heat"]),
                    ("prevention", ui["leaflet.prevention"]),
                    ("sources", ui["page.sources"]),
                    ("about", ui["page.about"]),
                ],
            },
        ),
        f"{data.id}-clinician.html": (
            "clinician.html.j2",
            {
                "page_title": guidance.words("clinician.title", title=data.title),
                "description": guidance.words("clinician.description", title=data.title),
                "body_class": "page-wide",
                "red_flags": red_flags,
                "rule_ids": rule_ids,
                "contents": [
                    ("red-flags", ui["clinician.red_flags"]),
                    ("thermal-rules", ui["clinician.thermal_rules"]),
                    ("relief-steps", ui["clinician.during_spasm"]),
                    ("prevention-steps", ui["clinician.prevention"]),
                    ("hazards", ui["clinician.hazards"]),
                    ("sources", ui["page.sources"]),
                    ("about", ui["page.about"]),
                ],
            },
        ),
    }
    pages[f"{data.id}-summary.html"] = ("summary.html.j2", {"w": plan_words(guidance)})
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
    env.filters["full_stop"] = _full_stop
    return env


def _full_stop(text: str) -> str:
    """End a rendered condition as a sentence, without doubling punctuation."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _to_bytes(page: str) -> bytes:
    """UTF-8 with ``\\n`` line ends, whatever the platform or template checkout did."""
    return page.replace("\r\n", "\n").encode("utf-8")
