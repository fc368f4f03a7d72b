"""Offers a format whose render is not callable."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name="notcallable", media_type="text/plain", render="render")]  # type: ignore[arg-type]
