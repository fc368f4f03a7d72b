"""Load a guidance folder: YAML with positions, JSON Schema, pydantic, then meaning.

Each stage collects every problem it finds and the next stage runs on what
passed, so one run of ``kneeguide validate`` shows an author every mistake,
each at its file, line and column, with a stable code.  The checks live in
``kneeguide.checks``, one module per family (``checks.core`` lists the
stages); docs/diagnostics.md documents every code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .checks.core import Checker, LoadResult
from .compact import canonical_json
from .errors import ContentError
from .review import resolve_today
from .store import find_guidelines, load

__all__ = [
    "ContentError",
    "LoadResult",
    "canonical_json",
    "check",
    "find_guidelines",
    "load",
]

REVIEW_WARNING_DAYS = 30


def check(
    folder: str | Path,
    *,
    today: dt.date | None = None,
    review_warning_days: int = REVIEW_WARNING_DAYS,
    review_dates: bool = True,
) -> LoadResult:
    """Check one guideline folder and build its ``Guidance`` when it is valid.

    ``review_dates=False`` skips the checks against today's date, for using
    content (``load``) and for reading an older revision whose review was due
    long ago (``kneeguide diff``).  ``today`` defaults to ``KNEEGUIDE_TODAY``,
    else the UTC date.
    """
    checker = Checker(Path(folder), resolve_today(today), review_warning_days, review_dates)
    return checker.run()
