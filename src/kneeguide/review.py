"""Whether the guidance is due for clinical review, compared in UTC.

A review date is a gate for content CI (``kneeguide validate`` fails once it
has passed), never a run-time kill switch: a service that embeds kneeguide
keeps assessing the day after the date, and sees a ``ReviewOverdueWarning``
plus this status instead.  Dates are compared in UTC so the cut-over is the
same instant on every machine, whatever its local time zone.

The clock is read only as a default: callers and tests pass ``today``, and
the command line takes ``--today`` or ``KNEEGUIDE_TODAY``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Metadata

__all__ = ["TODAY_ENV", "ReviewStatus", "resolve_today", "review_status"]

TODAY_ENV = "KNEEGUIDE_TODAY"
"""An ISO date (``YYYY-MM-DD``) that stands for today in every date check, for CI and tests."""


@dataclass(frozen=True)
class ReviewStatus:
    """The review state of one guidance on one day."""

    due: dt.date
    """The content's ``next_review_due``."""
    today: dt.date
    """The day the status was taken for (UTC)."""

    @property
    def overdue(self) -> bool:
        return self.today > self.due

    @property
    def days_overdue(self) -> int:
        """Whole days since the due date; 0 while the review is not overdue."""
        return max(0, (self.today - self.due).days)

    @property
    def message(self) -> str:
        if not self.overdue:
            return f"the next clinical review is due on {self.due}"
        return (
            f"the clinical review of this guidance was due on {self.due} "
            f"({self.days_overdue} day(s) ago); it is still served, but needs review"
        )


def resolve_today(value: str | dt.date | None = None) -> dt.date:
    """The day date checks use: ``value``, else ``KNEEGUIDE_TODAY``, else the UTC date now.

    Raises ``ValueError`` naming the bad text when a date is not ``YYYY-MM-DD``.
    """
    if isinstance(value, dt.date):
        return value
    text = value if value is not None else os.environ.get(TODAY_ENV, "").strip()
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            source = "--today" if value is not None else TODAY_ENV
            raise ValueError(f"{source} must be a date as YYYY-MM-DD, not {text!r}") from None
    return dt.datetime.now(dt.UTC).date()


def review_status(metadata: Metadata, today: dt.date | None = None) -> ReviewStatus:
    """The review state of guidance with this ``metadata`` (``Guidance.metadata``) on ``today``.

    Without ``today`` the day comes from ``KNEEGUIDE_TODAY`` or the UTC clock.
    """
    return ReviewStatus(due=metadata.next_review_due, today=resolve_today(today))
