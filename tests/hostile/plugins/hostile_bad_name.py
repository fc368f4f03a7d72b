"""Offers a format whose name would be unsafe on the command line and in file names."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name="../Evil Name", media_type="text/plain", render=lambda g: {"x": b""})]
