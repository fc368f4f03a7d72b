"""Load a guidance folder: YAML with positions, JSON Schema, pydantic, then meaning.

Each stage collects every problem it finds and the next stage runs on what
passed, so one run of ``kneeguide validate`` shows an author every mistake,
each at its file, line and column, with a stable code.  The checks live in
``kneeguide.checks``, one module per family (``checks.core`` lists the
stages); docs/diagnostics.md documents every code.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

from .checks.core import Checker, LoadResult, canonical_json
from .diagnostics import Diagnostic
from .errors import ContentError, ReviewOverdueWarning
from .guidance import Guidance
from .resources import DEFAULT_GUIDELINE, guidance_root
from .review import resolve_today, review_status

__all__ = [
    "ContentError",
    "LoadResult",
    "canonical_json",
    "check",
    "find_guidelines",
    "load",
]

REVIEW_WARNING_DAYS = 30


def find_guidelines(path: Path) -> list[Path]:
    """The guideline folders at ``path``: itself, or each sub-folder that is one."""
    if (path / "guideline.yaml").exists() or not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if (p / "guideline.yaml").is_file())
    return found or [path]


def load(path: str | Path | None = None, *, today: dt.date | None = None) -> Guidance:
    """Load and validate a guideline folder (the packaged one by default).

    Raises ``ContentError`` carrying every problem when the content is invalid.
    A review date that has passed (in UTC, on ``today`` when given) is no
    error here: it gives a ``ReviewOverdueWarning``; ``review.review_status``
    tells the same to a host that asks.
    """
    folder = Path(path) if path is not None else guidance_root() / DEFAULT_GUIDELINE
    folders = find_guidelines(folder)
    if len(folders) != 1:
        raise ContentError(
            [Diagnostic(str(folder), 0, 0, "", "holds several guidelines; name one folder", code="io")]
        )
    # Review dates gate content CI (``validate``), never use: overdue content
    # still loads, with a warning the host can see.
    result = check(folders[0], today=today, review_dates=False)
    if not result.ok or result.guidance is None:
        raise ContentError(result.diagnostics)
    status = review_status(result.guidance.metadata, today)
    if status.overdue:
        g = result.guidance
        warnings.warn(
            ReviewOverdueWarning(f"{g.id} {g.version}: {status.message} (see 'kneeguide validate')"),
            stacklevel=2,
        )
    return result.guidance


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
