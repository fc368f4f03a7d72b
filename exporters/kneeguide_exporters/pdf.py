"""The ``pdf`` exporter: the patient leaflet as a tagged, printable PDF.

Clinics print the leaflet and file it with a patient's record; screen-reader
users open it.  So the PDF is tagged (PDF/UA-1: structure tree, headings,
lists and tables, document title and language), embeds its fonts, carries
bookmarks, and is byte-identical every time the same content is exported.

Typst lays it out (``templates/leaflet.typ``).  The template receives the
content as data only: the JSON of ``leaflet.build(guidance).to_dict()`` in
``sys.inputs``.  Typst shows strings from data as text and never evaluates
them, so content can never become Typst code (``#read``, ``#import``,
``#panic``).  The project root given to Typst is the template folder, so even
the template itself can read nothing else.

Two files are written, one per paper size, because the leaflet is printed on
both sides of the Atlantic and a page scaled to the other size shrinks the
text below a readable size:

* ``<id>.pdf``: ISO A4 (the UK, where the guidance is written for).
* ``<id>-letter.pdf``: US Letter.

Typst is imported inside :func:`render`: ``kneeguide formats`` imports this
module only to list the format.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

from kneeguide import hookimpl
from kneeguide.errors import MissingExtraError
from kneeguide.hookspecs import ExportFormat

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance

__all__ = ["PAPERS", "TEMPLATE", "compile_typst", "kneeguide_formats", "render"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "leaflet.typ"
"""The Typst template; its folder is the only one Typst may read."""

SUMMARY: Final = "summary.typ"
"""The two-page short leaflet, written beside the full one as ``<id>-summary[-letter].pdf``."""

PAPERS = {"": "a4", "-letter": "us-letter"}
"""File name suffix -> Typst paper name.  A4 keeps the plain ``<id>.pdf`` name."""

PDF_STANDARD: Final = "ua-1"
"""PDF/UA-1: Typst then refuses to write a PDF that lacks a title or tags."""


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    """Offer the ``pdf`` format: the patient leaflet on A4 and on US Letter."""
    return [
        ExportFormat(
            name="pdf",
            media_type="application/pdf",
            render=render,
            description="tagged (PDF/UA-1) patient leaflet, A4 and US Letter",
        )
    ]


def render(guidance: Guidance) -> dict[str, bytes]:
    """Render ``<id>.pdf`` (A4) and ``<id>-letter.pdf`` (US Letter).

    The creation date is the guidance's approval date, not the clock, and
    Typst's bundled fonts are used instead of whatever the machine has, so
    the same guidance gives the same bytes on any machine.
    """
    from . import leaflet
    from .plan import plan_words

    data = leaflet.build(guidance)
    content = json.dumps(data.to_dict(), ensure_ascii=False, sort_keys=True)
    words = json.dumps(plan_words(guidance), ensure_ascii=False, sort_keys=True)
    files: dict[str, bytes] = {}
    for suffix, paper in PAPERS.items():
        inputs = {"leaflet": content, "paper": paper, "words": words}
        for name, template in (("", TEMPLATE.name), ("-summary", SUMMARY)):
            files[f"{data.id}{name}{suffix}.pdf"] = compile_typst(template, inputs, data.approval_date)
            _forget_layout()
    return files


TYPST_CACHE_AGE: Final = 10
"""After each compile, typst-py drops the memoised work the last this-many compiles did not use."""


def _forget_layout() -> None:
    """Let Typst free the document it just laid out, before the next one is laid out.

    Typst memoises every step of a compile (parsing, layout of each block,
    export) and keeps what one of the last ``TYPST_CACHE_AGE`` compiles used,
    so the four leaflets of one export would otherwise all stay in memory:
    for long content that is the export's peak memory, several times one
    document's.  Compiling an empty document that many times ages the last
    document's work out; each costs well under a millisecond.  The next
    leaflet reuses nothing of the last one (another paper size or another
    template lays out every block anew), so nothing is lost.
    """
    import typst

    compiler = typst.Compiler(root=str(TEMPLATE.parent), font_paths=[], ignore_system_fonts=True)
    for _ in range(TYPST_CACHE_AGE):
        compiler.compile(input=b"", format="svg")


def compile_typst(template: str, inputs: dict[str, str], approval_date: str) -> bytes:
    """Compile one template of the templates folder to PDF/UA-1, dated ``approval_date``.

    ``inputs`` reach the template as ``sys.inputs`` strings (JSON for data), so
    content is never Typst source.  Shared by the leaflet and the personal plan.
    """
    try:
        import typst
    except ImportError:  # a lean install: say which extra brings it
        raise MissingExtraError("pdf", "typst", "the pdf format") from None

    approved = dt.date.fromisoformat(approval_date)
    timestamp = dt.datetime(approved.year, approved.month, approved.day, tzinfo=dt.UTC)
    compiler = typst.Compiler(root=str(TEMPLATE.parent), font_paths=[], ignore_system_fonts=True)
    pdf = compiler.compile(
        input=str(TEMPLATE.parent / template),
        format="pdf",
        sys_inputs=inputs,
        pdf_standards=PDF_STANDARD,
        timestamp=timestamp,
    )
    if not isinstance(pdf, bytes):  # a list only comes back for per-page PNG or SVG output
        raise TypeError(f"typst returned {type(pdf).__name__} for a PDF")
    return pdf
