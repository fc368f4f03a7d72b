"""Ids and references: unique ids, question shapes, priorities, sources, and what items name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..hints import did_you_mean
from ..models import Question, RedFlag, ThermalFile

if TYPE_CHECKING:
    from .core import Checker

__all__ = [
    "check_questions",
    "check_red_flags",
    "check_references",
    "check_sources",
    "check_thermal",
    "check_unique_ids",
]


def check_unique_ids(ctx: Checker) -> None:
    """Questions and sources each have their own id space; every rule, step and invariant shares one."""
    seen: dict[tuple[str, str], tuple[str, tuple[str | int, ...]]] = {}
    for fname, path, item in ctx.items():
        space = fname if fname in ("questions.yaml", "sources.yaml") else "rules"
        key = (space, item["id"])
        if key in seen:
            other, opath = seen[key]
            line = ctx.docs[other].position((*opath, "id"))[0]
            ctx.error(
                fname,
                (*path, "id"),
                f"duplicate id {item['id']!r} (first used in {other} line {line}); give each its own id",
                code="duplicate-id",
            )
        else:
            seen[key] = (fname, path)


def check_questions(ctx: Checker, questions: Sequence[Question]) -> None:
    """Each question has a sane range and choices, and a typical answer that fits.

    The fields each type needs and cannot have are the models' (one per
    type, told apart by ``type``), so the JSON Schema refuses them first.
    """
    for i, q in enumerate(questions):
        path: tuple[str | int, ...] = ("questions", i)
        if q.minimum is not None and q.maximum is not None and q.minimum > q.maximum:
            ctx.error(
                "questions.yaml", (*path, "minimum"), "minimum is larger than maximum", code="question-range"
            )
        codes = [c.code for c in q.choices or []]
        for j, c in enumerate(codes):
            if c in codes[:j]:
                ctx.error(
                    "questions.yaml",
                    (*path, "choices", j, "code"),
                    f"duplicate choice {c!r}",
                    code="duplicate-choice",
                )
        if not q.required and q.type != "boolean":
            ctx.error(
                "questions.yaml",
                (*path, "required"),
                "only yes/no questions may be optional (an unanswered one counts as no)",
                code="optional-question",
            )
        _check_typical(ctx, path, q, codes)


def _check_typical(ctx: Checker, path: tuple[str | int, ...], q: Question, codes: list[str]) -> None:
    """``typical`` must be an answer the question accepts, inside its range or among its choices."""
    value = q.typical
    if value is None:
        return
    where = (*path, "typical")
    if q.type == "integer":
        inside = (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (q.minimum is None or value >= q.minimum)
            and (q.maximum is None or value <= q.maximum)
        )
        if not inside:
            ctx.error(
                "questions.yaml",
                where,
                f"typical {value!r} is not a whole number in the range of {q.id!r} "
                f"({q.minimum}..{q.maximum})",
                code="typical",
            )
    elif not isinstance(value, str) or value not in codes:
        hint = did_you_mean(value, codes) if isinstance(value, str) else ""
        ctx.error(
            "questions.yaml",
            where,
            f"typical {value!r} is not a choice of {q.id!r}{hint} (choices: {', '.join(codes)})",
            code="typical",
        )


def check_red_flags(ctx: Checker, red_flags: Sequence[RedFlag]) -> None:
    for i, rf in enumerate(red_flags):
        if rf.urgency == "self_care":
            ctx.error(
                "red_flags.yaml",
                ("red_flags", i, "urgency"),
                "a red flag cannot have urgency self_care: it is a warning sign, so it needs "
                "soon, urgent or emergency (or it is relief advice, not a red flag)",
                code="red-flag-urgency",
            )


def check_thermal(ctx: Checker, thermal: ThermalFile) -> None:
    by_priority: dict[int, str] = {}
    for i, rule in enumerate(thermal.rules):
        if rule.priority in by_priority:
            ctx.error(
                "thermal.yaml",
                ("rules", i, "priority"),
                f"priority {rule.priority} is already used by {by_priority[rule.priority]!r}; "
                "with the priority hit policy every rule needs its own",
                code="duplicate-priority",
            )
        by_priority.setdefault(rule.priority, rule.id)


def check_sources(ctx: Checker) -> None:
    """Every cited source is listed, and every listed source is cited."""
    known = {s["id"] for s in ctx.docs["sources.yaml"].data["sources"]}
    used: set[str] = set()
    for fname, doc in ctx.docs.items():
        if fname == "sources.yaml":
            continue
        for path, ids in _find_key(doc.data, "sources", ()):
            for j, sid in enumerate(ids if isinstance(ids, list) else []):
                used.add(sid)
                if sid not in known:
                    ctx.error(
                        fname,
                        (*path, j),
                        f"cites unknown source {sid!r}{did_you_mean(sid, known)}; "
                        "list it in sources.yaml or cite a listed one",
                        code="unknown-source",
                    )
    for i, s in enumerate(ctx.docs["sources.yaml"].data["sources"]):
        if s["id"] not in used:
            ctx.error(
                "sources.yaml",
                ("sources", i, "id"),
                f"source {s['id']!r} is never cited; cite it or remove it",
                code="unused-source",
            )


def check_references(ctx: Checker) -> None:
    """Invariants name red flags that exist; hazards name controls that exist."""
    flags = {r["id"] for r in ctx.docs["red_flags.yaml"].data["red_flags"]}
    every = {item["id"] for f, _, item in ctx.items() if f not in ("questions.yaml", "sources.yaml")}
    for i, inv in enumerate(ctx.docs["invariants.yaml"].data["invariants"]):
        then = inv["then"]
        if not any(then.get(k) for k in then):
            ctx.error(
                "invariants.yaml",
                ("invariants", i, "then"),
                "states no expectation",
                code="invariant-empty",
            )
        for j, rf in enumerate(then.get("red_flags_include") or []):
            if rf not in flags:
                ctx.error(
                    "invariants.yaml",
                    ("invariants", i, "then", "red_flags_include", j),
                    f"unknown red flag {rf!r}{did_you_mean(rf, flags)}",
                    code="unknown-red-flag",
                )
    for i, hz in enumerate(ctx.docs["hazards.yaml"].data["hazards"]):
        for j, ref in enumerate(hz["controlled_by"]):
            if ref not in every:
                ctx.error(
                    "hazards.yaml",
                    ("hazards", i, "controlled_by", j),
                    f"unknown control {ref!r} (not a red flag, rule, step or invariant id)"
                    + did_you_mean(ref, every),
                    code="unknown-control",
                )


def _find_key(
    data: Any, key: str, path: tuple[str | int, ...]
) -> Iterable[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield (*path, k), v
            else:
                yield from _find_key(v, key, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _find_key(v, key, (*path, i))
