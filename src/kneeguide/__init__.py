"""kneeguide: self-care guidance for knee muscle spasms, as checked data.

The public API (contracts.md section 3)::

    import kneeguide
    g = kneeguide.load()          # the packaged guidance, or kneeguide.load(path)
    a = g.assess({...})           # -> Assessment
    a = kneeguide.assess({...})   # the same, on the packaged guidance

Importing this package is kept light: the loader, engine, exporters and the
verifier's solver are imported only when first used.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import pluggy

    from .adaptive import Interview
    from .engine import Assessment
    from .errors import AnswersError, ContentError, KneeguideError, LocaleError, ReviewOverdueWarning
    from .guidance import Guidance

__all__ = [
    "AnswersError",
    "Assessment",
    "ContentError",
    "Guidance",
    "Interview",
    "KneeguideError",
    "LocaleError",
    "ReviewOverdueWarning",
    "__version__",
    "assess",
    "hookimpl",
    "interview",
    "load",
]

__version__ = "1.0.0"

if TYPE_CHECKING:
    hookimpl: pluggy.HookimplMarker
_markers: list[pluggy.HookimplMarker] = []
"""``hookimpl``, made on first use: assessing needs no plugin machinery."""

_packaged: list[Guidance] = []
_packaged_lock = threading.Lock()


def load(path: str | Path | None = None, *, locale: str | None = None) -> Guidance:
    """Load and validate guidance: the packaged guideline, or the folder ``path``.

    ``locale`` (BCP 47: ``en-GB``, the default, ``en-US``, ``es-US``) gives
    every text in that locale (``Guidance.localized``; ``Guidance.locales``
    lists the shipped ones).  Raises ``ContentError`` listing every problem
    when the content is invalid, ``LocaleError`` for a locale not shipped.
    Content whose review date has passed still loads, with a
    ``ReviewOverdueWarning`` (see ``kneeguide.review.review_status``).
    """
    from .store import load as _load

    return _load(path, locale=locale)


def _packaged_guidance() -> Guidance:
    """The packaged guidance, loaded once per process.

    The first call loads it under a lock, so threads starting together load
    it once; later calls never reload it.
    """
    if not _packaged:
        with _packaged_lock:
            if not _packaged:
                _packaged.append(load())
    return _packaged[0]


def _in(locale: str | None) -> Guidance:
    g = _packaged_guidance()
    return g if locale is None else g.localized(locale)


def assess(answers: Mapping[str, object], *, locale: str | None = None) -> Assessment:
    """Assess answers against the packaged guidance (loaded once per process), in ``locale``."""
    return _in(locale).assess(answers)


def interview(answers: Mapping[str, object], *, locale: str | None = None) -> Interview:
    """Where an interview stands on the packaged guidance (see ``Guidance.interview``), in ``locale``."""
    return _in(locale).interview(answers)


def __getattr__(name: str) -> Any:
    if name == "hookimpl":  # marker for exporter plugins' hook implementations (``kneeguide.hookspecs``)
        if not _markers:
            import pluggy

            _markers.append(pluggy.HookimplMarker("kneeguide"))
        return _markers[0]
    if name == "Assessment":
        from .engine import Assessment

        return Assessment
    if name in ("AnswersError", "ContentError", "KneeguideError", "LocaleError", "ReviewOverdueWarning"):
        from . import errors

        return getattr(errors, name)
    if name == "Interview":
        from .adaptive import Interview

        return Interview
    if name == "Guidance":
        from .guidance import Guidance

        return Guidance
    raise AttributeError(f"module 'kneeguide' has no attribute {name!r}")
