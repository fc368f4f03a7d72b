"""The hooks an exporter plugin implements.

A plugin is a module named by an entry point in the group
``kneeguide.exporters``.  It implements hooks with the ``kneeguide.hookimpl``
marker, exactly as the built-in ``fhir``, ``html`` and ``pdf`` exporters do::

    from kneeguide import hookimpl
    from kneeguide.hookspecs import ExportFormat

    @hookimpl
    def kneeguide_formats():
        return [ExportFormat(name="csv", media_type="text/csv", render=render)]

See docs/writing-an-exporter.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["ExportFormat", "hookspec", "kneeguide_formats"]

hookspec = pluggy.HookspecMarker("kneeguide")

Render = Callable[["Guidance"], Mapping[str, bytes]]
"""Render a guidance into files: relative file name -> exact bytes."""


@dataclass(frozen=True)
class ExportFormat:
    """Describes one export format a plugin provides.

    :param name: the format's name on the command line (``kneeguide export NAME``);
        lower case letters, digits and ``-``; unique across all plugins.
    :param media_type: the IANA media type of the main file, e.g. ``application/fhir+json``.
    :param render: builds every file of the export in memory.  It must be
        deterministic (the same guidance gives the same bytes) and must not
        write anything itself: kneeguide writes the files atomically.
    :param description: one line shown by ``kneeguide formats``.
    :param options: named choices ``render`` also accepts as keyword arguments,
        each with its allowed values, the default first; given on the command
        line as ``--<format>-<name> VALUE`` (``kneeguide export fhir --fhir-bundle
        transaction``).  Without the option, ``render`` is called with the
        guidance alone.
    """

    name: str
    media_type: str
    render: Render
    description: str = ""
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@hookspec
def kneeguide_formats() -> Sequence[ExportFormat]:  # type: ignore[empty-body]
    """Return the export formats this plugin provides.

    Called once per plugin when the formats are first needed.  Return a list
    (possibly empty) of :class:`ExportFormat`; anything else is reported as a
    failure of this plugin, and the other plugins keep working.

    :return: the formats this plugin adds.
    """
