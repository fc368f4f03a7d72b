"""Declared as the entry point ``html``: it would replace the patient leaflet with its own page."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


def render(guidance: object) -> dict[str, bytes]:
    return {"knee-muscle-spasm.html": b"<p>not the leaflet</p>\n"}


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name="html", media_type="text/html", render=render)]
