"""What a reviewer signs: review dates, the change log, the reading grade, and unsupported claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..diagnostics import format_path
from ..readability import grade
from ..yamlsource import YamlDocument

if TYPE_CHECKING:
    from .core import Checker

__all__ = ["check_claims", "check_dates", "check_reading", "patient_texts"]


def check_dates(ctx: Checker, meta: Any) -> None:
    """Review dates in order and not overdue (as on ``ctx.today``); a change-log entry for the version."""
    f = "guideline.yaml"
    base = ("guideline",)
    due = meta.next_review_due
    if ctx.review_dates and due < ctx.today:
        ctx.error(
            f,
            (*base, "next_review_due"),
            f"the review was due on {due}; review the content and set a new date",
            code="review-overdue",
        )
    elif ctx.review_dates and (due - ctx.today).days <= ctx.warning_days:
        ctx.error(
            f,
            (*base, "next_review_due"),
            f"the next review is due on {due}, within {ctx.warning_days} days",
            severity="warning",
            code="review-due-soon",
        )
    if ctx.review_dates and meta.last_review_date > ctx.today:
        ctx.error(
            f, (*base, "last_review_date"), "the last review date is in the future", code="review-dates"
        )
    if meta.approval_date > meta.last_review_date:
        ctx.error(f, (*base, "approval_date"), "approval comes after the last review", code="review-dates")
    if due <= meta.last_review_date:
        ctx.error(
            f, (*base, "next_review_due"), "the next review must come after the last one", code="review-dates"
        )
    versions = [e.version for e in meta.change_log]
    if meta.version not in versions:
        ctx.error(
            f,
            (*base, "change_log"),
            f"no change-log entry for version {meta.version}; "
            "add one saying what changed and who reviewed it",
            code="change-log",
        )


def check_reading(ctx: Checker, meta: Any) -> None:
    texts = list(patient_texts(ctx.docs))
    g = grade(t for _, _, t in texts)
    ctx.reading = g
    if g.smog > meta.reading_grade_max:
        worst = sorted(texts, key=lambda t: -grade([t[2]]).smog)[:3]
        hint = "; ".join(f"{f} {format_path(p, ctx.docs[f].data)}" for f, p, _ in worst)
        ctx.error(
            "guideline.yaml",
            ("guideline", "reading_grade_max"),
            f"patient text reads at SMOG grade {g.smog} (Flesch-Kincaid {g.flesch_kincaid}), "
            f"above the limit of {meta.reading_grade_max}; use shorter sentences and words, "
            f"hardest first: {hint}",
            code="reading-grade",
        )


def check_claims(ctx: Checker) -> None:
    from ..claims import BANNED_CLAIMS

    for fname, path, text in patient_texts(ctx.docs):
        for claim in BANNED_CLAIMS:
            m = claim.find(text)
            if m:
                ctx.error(
                    fname, path, f"{claim.message} (found {m.group()!r})", offset=m.start(), code="claim"
                )


_PATIENT_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "questions.yaml": ("questions", ("text", "help")),
    "red_flags.yaml": ("red_flags", ("title", "advice")),
    "thermal.yaml": ("rules", ("title", "instructions", "for_whom")),
    "relief.yaml": ("steps", ("title", "text", "for_whom")),
    "prevention.yaml": ("steps", ("title", "text", "for_whom")),
    "figures.yaml": ("poses", ("alt",)),
}


def patient_texts(docs: Mapping[str, YamlDocument]) -> Iterable[tuple[str, tuple[str | int, ...], str]]:
    """Every piece of text a patient reads: (file, path, text)."""
    for fname, (key, fields) in _PATIENT_FIELDS.items():
        if fname not in docs:
            continue  # an optional file left out
        for i, item in enumerate(docs[fname].data[key]):
            for f in fields:
                if isinstance(item.get(f), str):
                    yield fname, (key, i, f), item[f]
            figure = item.get("figure")
            if isinstance(figure, dict) and isinstance(figure.get("alt"), str):
                yield fname, (key, i, "figure", "alt"), figure["alt"]
            for j, c in enumerate(item.get("cautions") or []):
                yield fname, (key, i, "cautions", j, "text"), c["text"]
            for j, h in enumerate(item.get("how_to") or []):
                yield fname, (key, i, "how_to", j), h
            for j, ch in enumerate(item.get("choices") or []):
                yield fname, (key, i, "choices", j, "label"), ch["label"]
    meta = docs["guideline.yaml"].data["guideline"]
    yield "guideline.yaml", ("guideline", "disclaimer"), meta["disclaimer"]
