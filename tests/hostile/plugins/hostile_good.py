"""A well-behaved plugin: its ``plain`` format must keep working beside the broken ones.

It writes what it reads from the guidance, so a plugin that changed the
guidance before it would show here.
"""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


def render(guidance: object) -> dict[str, bytes]:
    title = guidance.data["guideline.yaml"]["guideline"]["title"]  # type: ignore[attr-defined]
    flags = len(guidance.red_flags)  # type: ignore[attr-defined]
    return {"plain.txt": f"plain export of {title} ({flags} red flags)\n".encode()}


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [ExportFormat(name="plain", media_type="text/plain", render=render)]
