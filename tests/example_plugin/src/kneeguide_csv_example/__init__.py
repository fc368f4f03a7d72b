"""An example kneeguide exporter: one CSV row per rule or step.

It shows everything a third-party exporter needs: a module that implements
``kneeguide_formats`` with the ``kneeguide.hookimpl`` marker, named by an
entry point in the group ``kneeguide.exporters`` (see its pyproject.toml),
and a render function that returns file names and bytes without writing
anything itself.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance

COLUMNS = ("id", "kind", "title", "sources")


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [
        ExportFormat(
            name="csv",
            media_type="text/csv",
            render=render,
            description="every rule and step as one CSV table",
        )
    ]


def render(guidance: Guidance) -> dict[str, bytes]:
    """``<guidance id>.rules.csv``: a header row, then one row per rule in the engine's order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rule in guidance.rules():
        writer.writerow((rule.id, rule.kind, rule.item.title, " ".join(rule.item.sources)))
    return {f"{guidance.id}.rules.csv": out.getvalue().encode("utf-8")}
