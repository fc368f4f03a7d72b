"""Conditions: each one parses, fits the question set, and its references resolve.

One mistake gives one error.  A condition that does not parse is reported
once, at its token; every condition that refers to it (``red_flag(id)``)
stays silent rather than report a false cycle, and an unknown name in
``red_flag(...)`` is reported as unknown (with the closest id), never also
as "refers back to itself".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .. import conditions as cond
from ..guidance import spec_of
from ..models import Invariant, Question, RedFlag, Step, ThermalRule

if TYPE_CHECKING:
    from .core import Checker

__all__ = ["check_conditions"]

Located = tuple[str, tuple[str | int, ...], str]


class _Unresolved(cond.ConditionError):
    """A reference to a condition that is already reported (unknown, or does not parse)."""


def check_conditions(
    ctx: Checker,
    questions: Sequence[Question],
    red_flags: Sequence[RedFlag],
    thermal: Sequence[ThermalRule],
    relief: Sequence[Step],
    prevention: Sequence[Step],
    invariants: Sequence[Invariant],
) -> tuple[dict[str, cond.Condition], dict[str, cond.Condition]]:
    """Parse and check every condition; (parsed as written, with references resolved)."""
    specs = {q.id: spec_of(q) for q in questions}
    optional = {q.id for q in questions if not q.required}
    located: dict[str, Located] = {}
    for i, rf in enumerate(red_flags):
        located[rf.id] = ("red_flags.yaml", ("red_flags", i, "condition"), rf.condition)
    for i, tr in enumerate(thermal):
        located[tr.id] = ("thermal.yaml", ("rules", i, "condition"), tr.condition)
    for fname, steps in (("relief.yaml", relief), ("prevention.yaml", prevention)):
        for i, st in enumerate(steps):
            located[st.id] = (fname, ("steps", i, "condition"), st.condition)
    for i, inv in enumerate(invariants):
        located[inv.id] = ("invariants.yaml", ("invariants", i, "when"), inv.when)

    flag_ids = frozenset(rf.id for rf in red_flags)
    parsed: dict[str, cond.Condition] = {}
    for item_id, (fname, path, text) in located.items():
        try:
            tree = cond.parse(text)
        except cond.ConditionError as exc:
            ctx.error(fname, path, f"condition: {exc.message}", offset=exc.column, code=exc.code)
            continue
        for problem in cond.typecheck(tree, specs, flag_ids):
            ctx.error(fname, path, f"condition: {problem.message}", offset=problem.column, code=problem.code)
        if fname not in ("relief.yaml", "prevention.yaml"):
            for q in sorted(cond.questions_used(tree) & optional):
                ctx.error(
                    fname,
                    path,
                    f"condition: optional question {q!r} may only tailor relief and "
                    "prevention steps; safety decisions must rest on required answers",
                    code="optional-question",
                )
        parsed[item_id] = tree
    flags = {name: tree for name, tree in parsed.items() if name in flag_ids}
    return parsed, _resolve(ctx, parsed, flags, located)


def _resolve(
    ctx: Checker,
    parsed: Mapping[str, cond.Condition],
    flags: Mapping[str, cond.Condition],
    located: Mapping[str, Located],
) -> dict[str, cond.Condition]:
    """Replace every ``red_flag(id)``; report each cycle once, and chains that nest too deeply."""
    done: dict[str, tuple[cond.Condition, int]] = {}
    too_deep_at: dict[str, int] = {}  # too deep from this offset on: fail fast, stay linear
    active: list[str] = []
    failed: set[str] = set()  # in a reported cycle: whatever refers to them stays silent

    def build(name: str, at: int) -> cond.Condition:
        if at >= too_deep_at.get(name, cond.MAX_RESOLVED_DEPTH + 1):
            raise cond.NestingError
        if name not in done:
            active.append(name)
            try:
                tree = cond.resolve(parsed[name], lookup, at)
            except cond.NestingError:
                too_deep_at[name] = min(at, too_deep_at.get(name, at))
                raise
            finally:
                active.pop()
            done[name] = (tree, _tree_depth(tree))
        tree, depth = done[name]
        if at + depth > cond.MAX_RESOLVED_DEPTH:
            too_deep_at[name] = min(at, too_deep_at.get(name, at))
            raise cond.NestingError
        return tree

    def lookup(name: str, at: int) -> cond.Condition:
        if name not in flags or name in failed:  # unknown, does not parse, or in a cycle: reported
            raise _Unresolved(name)
        if name in active:
            members = active[active.index(name) :]
            failed.update(members)
            fname, path, _ = located[name]
            chain = " -> ".join([*members, name])
            ctx.error(
                fname,
                path,
                f"condition: red flag {name!r} refers back to itself ({chain}); a red flag may use "
                "another's condition only when that one does not lead back to it",
                code="red-flag-cycle",
            )
            raise _Unresolved(name)
        return build(name, at)

    for item_id in parsed:
        try:
            build(item_id, 0)
        except _Unresolved:
            continue
        except cond.ConditionError as exc:
            fname, path, _ = located[item_id]
            ctx.error(fname, path, f"condition: {exc.message}", code=exc.code)
    return {name: tree for name, (tree, _) in done.items()}


def _tree_depth(node: cond.Condition) -> int:
    """The nesting depth of a condition tree (a leaf is 0), without recursion."""
    deepest = 0
    stack: list[tuple[cond.Condition, int]] = [(node, 0)]
    while stack:
        n, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(n, cond.Not):
            stack.append((n.operand, depth + 1))
        elif isinstance(n, cond.And | cond.Or):
            stack.extend((c, depth + 1) for c in n.operands)
    return deepest
