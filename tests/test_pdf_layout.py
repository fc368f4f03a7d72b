"""No section heading of a PDF leaflet is left at the foot of a page.

A heading alone at the bottom of a page sends the reader over the page to
find what it is about.  Where each heading is comes from the PDF itself:
every section heading is a bookmark whose destination is its page and its
top, and poppler's ``pdftotext -bbox-layout`` gives every line of text with
its box.  A heading passes when at least ``MIN_LINES`` lines of its section
follow it in its column on the same page, above the page footer (the lines
that repeat at the same height on every page).
"""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from kneeguide.guidance import Guidance
from kneeguide_exporters import pdf
from test_pdf import poppler

MIN_LINES = 3
"""Lines of a section that must follow its heading on the heading's page."""

_XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    y0: float
    """Top of the line, measured down from the top of the page (as poppler gives it)."""
    x1: float
    y1: float


@dataclass(frozen=True)
class Heading:
    title: str
    page: int
    x: float
    top: float
    """Measured down from the top of the page, like ``Line``."""


def page_lines(path: Path) -> list[list[Line]]:
    """Every line of text on each page, with its box."""
    out = subprocess.run(
        [poppler("pdftotext"), "-bbox-layout", str(path), "-"], check=True, capture_output=True
    ).stdout
    root = ET.fromstring(out)
    pages = []
    for page in root.iter(f"{_XHTML}page"):
        lines = []
        for line in page.iter(f"{_XHTML}line"):
            words = [w.text or "" for w in line.iter(f"{_XHTML}word")]
            box = [float(line.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax")]
            lines.append(Line(" ".join(words), *box))
        pages.append(sorted(lines, key=lambda ln: (ln.y0, ln.x0)))
    return pages


def bookmarked_headings(data: bytes) -> list[Heading]:
    """Each bookmark's title, page and position: where the heading it names was laid out."""
    found: list[Heading] = []
    with pikepdf.open(io.BytesIO(data)) as doc:
        index = {page.objgen: i for i, page in enumerate(doc.pages)}
        height = {i: float(page.mediabox[3]) for i, page in enumerate(doc.pages)}
        with doc.open_outline() as outline:
            todo = list(outline.root)
            while todo:
                item = todo.pop(0)
                todo[:0] = list(item.children)
                dest = item.destination
                assert isinstance(dest, pikepdf.Array) and str(dest[1]) == "/XYZ", item.title
                page = index[dest[0].objgen]
                found.append(Heading(item.title, page, float(dest[2]), height[page] - float(dest[3])))
    return found


def footer_top(pages: list[list[Line]]) -> float:
    """Where the footer starts: the highest line repeated at the same height on every page.

    Repeated means the same text with any number (the page number) in it.
    """
    if len(pages) < 2:
        return float("inf")
    seen = [{(round(ln.y0, 1), re.sub(r"[0-9]+", "#", ln.text)) for ln in page} for page in pages]
    shared = set.intersection(*seen)
    return min(y for y, _ in shared) if shared else float("inf")


def stranded(pages: list[list[Line]], headings: list[Heading], min_lines: int = MIN_LINES) -> list[str]:
    """The headings with fewer than ``min_lines`` lines of their section after them on their page."""
    bottom = footer_top(pages)
    problems = []
    for h in headings:
        below = [ln for ln in pages[h.page] if h.top - 2 <= ln.y0 < bottom and ln.x0 >= h.x - 3]
        starts = [ln for ln in below if abs(ln.x0 - h.x) < 3]  # the heading's lines start at its x
        title = " ".join(h.title.split())
        shown, end = "", None
        for ln in starts:
            joined = f"{shown} {ln.text}".strip()
            if shown == title or not title.startswith(joined):
                break
            shown, end = joined, ln
        if shown != title or end is None:
            problems.append(f"{title!r}: not found on page {h.page + 1}")
            continue
        column = [ln for ln in below if ln.y0 > end.y0 and ln.x0 < end.x1]
        if len(column) < min_lines:
            problems.append(f"{title!r}: {len(column)} line(s) after it at the foot of page {h.page + 1}")
    return problems


@pytest.fixture(scope="module")
def leaflets(guidance: Guidance, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("layout")
    paths = {}
    for name, data in pdf.render(guidance).items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize("kind", ["", "-summary"], ids=["full", "summary"])
@pytest.mark.parametrize("suffix", ["", "-letter"], ids=["a4", "letter"])
def test_no_heading_starts_at_the_foot_of_a_page(
    leaflets: dict[str, Path], guidance: Guidance, kind: str, suffix: str
) -> None:
    path = leaflets[f"{guidance.id}{kind}{suffix}.pdf"]
    headings = bookmarked_headings(path.read_bytes())
    pages = page_lines(path)
    assert len(headings) >= (5 if kind == "" else 4), [h.title for h in headings]
    with pikepdf.open(path) as doc:
        assert footer_top(pages) < float(doc.pages[0].mediabox[3]), "the footer was not found"
    assert stranded(pages, headings) == []


def test_the_check_finds_a_heading_left_at_the_foot() -> None:
    """A page whose last lines are a heading and one line of its section fails; with more, it passes."""
    footer = [Line("Version 1", 40, 800, 200, 810)]  # the same on every page
    body = [Line(f"line {i}", 40, 100 + 12 * i, 500, 110 + 12 * i) for i in range(40)]
    heading = Line("Ice or heat", 40, 700, 150, 716)
    after = [Line("Start at the top", 40, 720, 400, 732)]
    other = [Line(f"line {i}", 40, 106 + 12 * i, 500, 116 + 12 * i) for i in range(40)]
    pages = [[*body[:5], heading, *after, *footer], [*other, *footer]]
    found = stranded(pages, [Heading("Ice or heat", 0, 40, 698)])
    assert found == ["'Ice or heat': 1 line(s) after it at the foot of page 1"]
    more = [Line(f"more {i}", 40, 734 + 12 * i, 400, 744 + 12 * i) for i in range(3)]
    pages[0] = [*body[:5], heading, *after, *more, *footer]
    assert stranded(pages, [Heading("Ice or heat", 0, 40, 698)]) == []
    # Lines of the other column do not count as the heading's section.
    beside = [Line(f"right {i}", 320, 720 + 12 * i, 560, 730 + 12 * i) for i in range(5)]
    pages[0] = [*body[:5], heading, *after, *beside, *footer]
    assert stranded(pages, [Heading("Ice or heat", 0, 40, 698)]) != []
