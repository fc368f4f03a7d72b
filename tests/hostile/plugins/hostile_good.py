"""A well-behaved plugin: its ``plain`` format must keep working beside the broken ones."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


def render(guidance: object) -> dict[str, bytes]:
    return {"plain.txt": b"plain export\n"}


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name="plain", media_type="text/plain", render=render)]
