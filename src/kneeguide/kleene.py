"""Three-valued evaluation of conditions and of the decision model (Kleene's logic).

An unanswered question is *unknown* (``None``); ``and`` is false as soon as
one side is false, ``or`` true as soon as one side is true, ``not`` keeps
unknown unknown.  A value that comes out true or false is the same for every
way the unanswered questions could be answered: that is what lets the
interview stop early, and ``verify`` proves it for every definition of the
decision model (property ``interview_agrees``).

This is one more renderer of the one condition tree, beside Python,
FHIRPath, English and the solver encoding; it decides nothing on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref
from .decision import DecisionModel

__all__ = ["Truth", "evaluate", "evaluate_model", "unknown_questions"]

Truth = bool | None
"""True, false, or unknown (``None``)."""

_COMPARE: Mapping[str, Callable[[int, int], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def evaluate(node: Condition, answers: Mapping[str, object], defined: Mapping[str, Truth]) -> Truth:
    """The three-valued truth of ``node``; ``defined`` holds the values of earlier definitions."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Ref):
        return defined[node.name]
    if isinstance(node, Flag | Compare | OneOf):
        if node.question not in answers:
            return None
        value = answers[node.question]
        if isinstance(node, Flag):
            return value is True
        if isinstance(node, Compare):
            return _COMPARE[node.op](value, node.value)  # type: ignore[arg-type]
        return value in node.choices
    if isinstance(node, Not):
        inner = evaluate(node.operand, answers, defined)
        return None if inner is None else not inner
    if isinstance(node, And | Or):
        stop = isinstance(node, Or)  # the value that settles the whole node
        unknown = False
        for child in node.operands:
            v = evaluate(child, answers, defined)
            if v is stop:
                return stop
            if v is None:
                unknown = True
        return None if unknown else not stop
    raise TypeError(f"cannot evaluate {type(node).__name__}; resolve references first")


def evaluate_model(model: DecisionModel, answers: Mapping[str, object]) -> dict[str, Truth]:
    """The value of every definition of ``model`` for a partial answer set."""
    values: dict[str, Truth] = {}
    for d in model.definitions:
        values[d.name] = evaluate(d.expr, answers, values)
    return values


def unknown_questions(
    model: DecisionModel, names: list[str], answers: Mapping[str, object], values: Mapping[str, Truth]
) -> set[str]:
    """The unanswered questions that can still settle the unknown definitions ``names``.

    Walks only the parts of each definition that are still unknown: a
    question under a branch that is already false in an ``and`` (or true in
    an ``or``) cannot change anything and is not asked.
    """
    found: set[str] = set()
    seen: set[str] = set()

    def walk(node: Condition) -> None:
        if evaluate(node, answers, values) is not None:
            return
        if isinstance(node, Flag | Compare | OneOf):
            found.add(node.question)
        elif isinstance(node, Ref):
            if node.name not in seen:
                seen.add(node.name)
                walk(model[node.name].expr)
        elif isinstance(node, Not):
            walk(node.operand)
        elif isinstance(node, And | Or):
            for child in node.operands:
                walk(child)

    for name in names:
        if name not in seen:
            seen.add(name)
            walk(model[name].expr)
    return found
