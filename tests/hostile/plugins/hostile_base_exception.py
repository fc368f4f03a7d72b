"""A hook that raises a ``BaseException`` subclass, which ``except Exception`` does not catch."""

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


class Escape(BaseException):
    pass


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    raise Escape("out of the hook")
