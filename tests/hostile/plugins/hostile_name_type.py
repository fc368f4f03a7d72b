"""A descriptor whose name is a number: matching it against the name rule raised TypeError."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name=123, media_type="text/plain", render=lambda g: {"x.txt": b""})]  # type: ignore[arg-type]
