"""A descriptor whose media type is bytes and whose description spans lines."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name="mediatype", media_type=b"text/plain", render=lambda g: {"x.txt": b""})]  # type: ignore[arg-type]
