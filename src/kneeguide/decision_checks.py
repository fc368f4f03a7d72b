"""Content checks for how rules combine: ask order, severity order, gates, conflicts, hazards.

``validate`` runs these after every condition has parsed.  They keep the
decision model (``kneeguide.decision``) sound by construction where a check
can, so that no later backend meets a guidance it cannot decide: the lowest
thermal rule applies to everyone, so every answer set gets exactly one
thermal rule without a solver; no ice, heat or self-care step can reach an
emergency; every hazard names a control that a check on every release runs.
Each check has its own stable code (docs/diagnostics.md documents them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .conditions import Condition, Const
from .hints import closest, did_you_mean
from .models import Conflict, Hazard, Invariant, Question, RedFlag, Step, ThermalRule

if TYPE_CHECKING:  # the checker that reports each problem (``Checker.error``)
    from .checks.core import Checker as Reporter

__all__ = ["check_decisions"]


def check_decisions(
    out: Reporter,
    *,
    questions: Sequence[Question],
    ask_order: Sequence[str],
    red_flags: Sequence[RedFlag],
    thermal: Sequence[ThermalRule],
    steps: Mapping[str, Sequence[Step]],
    conflicts: Sequence[Conflict],
    hazards: Sequence[Hazard],
    invariants: Sequence[Invariant],
    conditions: Mapping[str, Condition],
) -> None:
    """Report every problem with how the content's rules combine."""
    _ask_order(out, questions, ask_order)
    _severity(out, questions)
    flags = {rf.id for rf in red_flags}
    _thermal_gates(out, thermal, flags, conditions)
    for fname, items in steps.items():
        _step_gates(out, fname, items, flags, conditions)
    selectable = flags | {r.id for r in thermal} | {s.id for items in steps.values() for s in items}
    _conflicts(out, conflicts, selectable)
    _hazard_checks(out, hazards, {i.id for i in invariants}, {c.id for c in conflicts})


def _ask_order(out: Reporter, questions: Sequence[Question], order: Sequence[str]) -> None:
    ids = [q.id for q in questions]
    seen: set[str] = set()
    suggested: set[str] = set()  # a typo is one mistake: its question is not also "left out"
    for i, qid in enumerate(order):
        path = ("ask_order", i)
        if qid not in ids:
            hint = did_you_mean(qid, ids)
            close = closest(qid, ids)
            if close is not None:
                suggested.add(close)
            out.error(
                "questions.yaml", path, f"ask_order names unknown question {qid!r}{hint}", code="ask-order"
            )
        elif qid in seen:
            out.error("questions.yaml", path, f"ask_order names {qid!r} twice", code="ask-order")
        seen.add(qid)
    missing = [q for q in ids if q not in seen and q not in suggested]
    if missing:
        out.error(
            "questions.yaml",
            ("ask_order",),
            f"ask_order leaves out {', '.join(missing)}; name every question once",
            key=True,
            code="ask-order",
        )


def _severity(out: Reporter, questions: Sequence[Question]) -> None:
    allowed = {"boolean": ("yes", "none"), "integer": ("higher", "none"), "choice": ("none",)}
    for i, q in enumerate(questions):
        path = ("questions", i, "worsens")
        if q.type == "integer" and q.worsens is None:
            out.error(
                "questions.yaml",
                ("questions", i),
                f"integer question {q.id!r} needs 'worsens': 'higher' when a higher answer is "
                "never less worrying, or 'none' with a 'worsens_note' saying why",
                code="worsens",
            )
        elif q.worsens is not None and q.worsens not in allowed[q.type]:
            out.error(
                "questions.yaml",
                path,
                f"a {q.type} question cannot have worsens: {q.worsens} "
                f"(allowed: {', '.join(allowed[q.type])})",
                code="worsens",
            )
        if q.worsens == "none" and q.type != "choice" and q.worsens_note is None:
            out.error(
                "questions.yaml",
                path,
                "worsens: none needs a 'worsens_note' saying why the answer has no direction of severity",
                code="worsens",
            )


def _not_with(
    out: Reporter, fname: str, path: tuple[str | int, ...], ids: Sequence[str], flags: set[str]
) -> None:
    for j, rf in enumerate(ids):
        if rf not in flags:
            out.error(
                fname,
                (*path, "not_with", j),
                f"unknown red flag {rf!r}{did_you_mean(rf, flags)}",
                code="unknown-red-flag",
            )


def _for_whom(
    out: Reporter,
    fname: str,
    path: tuple[str | int, ...],
    item: Step | ThermalRule,
    condition: Condition | None,
) -> None:
    if item.for_whom is None and condition is not None and condition != Const(True):
        out.error(
            fname,
            path,
            f"{item.id!r} is not for everyone, so it needs 'for_whom': who it is for, in plain "
            "words for the leaflet (the condition itself is shown only to clinicians)",
            code="for-whom",
        )


def _thermal_gates(
    out: Reporter, rules: Sequence[ThermalRule], flags: set[str], conditions: Mapping[str, Condition]
) -> None:
    for i, rule in enumerate(rules):
        path: tuple[str | int, ...] = ("rules", i)
        if rule.advice != "none" and rule.max_urgency == "emergency":
            out.error(
                "thermal.yaml",
                (*path, "max_urgency"),
                f"{rule.id!r} advises {rule.advice}, which an emergency result must never show; "
                "set max_urgency to urgent or lower",
                code="gate",
            )
        _not_with(out, "thermal.yaml", path, rule.not_with, flags)
        _for_whom(out, "thermal.yaml", path, rule, conditions.get(rule.id))
    lowest = min(range(len(rules)), key=lambda i: rules[i].priority, default=None)
    if lowest is None:
        return
    rule = rules[lowest]
    if rule.id not in conditions:  # its condition does not parse: reported there, once
        return
    if not (
        conditions.get(rule.id) == Const(True)
        and rule.max_urgency == "emergency"
        and rule.advice == "none"
        and not rule.not_with
    ):
        out.error(
            "thermal.yaml",
            ("rules", lowest),
            f"the lowest-priority rule {rule.id!r} must apply to everyone, so that every answer "
            "set gets exactly one rule: condition 'true', advice none, max_urgency emergency, "
            "and no not_with",
            code="thermal-default",
        )


def _step_gates(
    out: Reporter, fname: str, steps: Sequence[Step], flags: set[str], conditions: Mapping[str, Condition]
) -> None:
    for i, st in enumerate(steps):
        path: tuple[str | int, ...] = ("steps", i)
        _not_with(out, fname, path, st.not_with, flags)
        _for_whom(out, fname, path, st, conditions.get(st.id))


def _conflicts(out: Reporter, conflicts: Sequence[Conflict], selectable: set[str]) -> None:
    for i, c in enumerate(conflicts):
        for j, item in enumerate(c.items):
            path = ("conflicts", i, "items", j)
            if item not in selectable:
                out.error(
                    "conflicts.yaml",
                    path,
                    f"unknown item {item!r} (not a red flag, thermal rule or step)"
                    + did_you_mean(item, selectable),
                    code="conflict",
                )
            elif item in c.items[:j]:
                out.error("conflicts.yaml", path, f"{item!r} is listed twice", code="conflict")


def _hazard_checks(
    out: Reporter, hazards: Sequence[Hazard], invariants: set[str], conflicts: set[str]
) -> None:
    from .verifier import PROPERTIES

    known = invariants | conflicts | set(PROPERTIES)
    for i, hz in enumerate(hazards):
        for j, ref in enumerate(hz.checked_by):
            if ref not in known:
                out.error(
                    "hazards.yaml",
                    ("hazards", i, "checked_by", j),
                    f"{ref!r} is not a check that runs on every release (an invariant or conflict "
                    f"id, or a verify property){did_you_mean(ref, known)}",
                    code="hazard-check",
                )
