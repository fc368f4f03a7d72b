"""Three-valued evaluation of conditions and of the decision model (Kleene's logic).

An unanswered question is *unknown* (``None``); ``and`` is false as soon as
one side is false, ``or`` true as soon as one side is true, ``not`` keeps
unknown unknown.  A value that comes out true or false is the same for every
way the unanswered questions could be answered: that is what lets the
interview stop early, and ``verify`` proves it for every definition of the
decision model (property ``interview_agrees``).

This is one more renderer of the one condition tree, beside Python,
FHIRPath, English and the solver encoding; it decides nothing on its own.
``evaluate`` walks a tree; ``evaluate_model`` runs straight-line code
generated from the whole decision model once (``compile_model``), which a
test compares with the walk on every definition.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref
from .decision import DecisionModel

__all__ = [
    "Truth",
    "compile_model",
    "evaluate",
    "evaluate_model",
    "evaluate_model_by_tree",
    "unknown_questions",
]

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
        """Collect the questions under ``node``, whose value is unknown (checked by the caller)."""
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
                if evaluate(child, answers, values) is None:
                    walk(child)

    for name in names:
        if name not in seen:
            seen.add(name)
            walk(model[name].expr)
    return found


# --- the same evaluation, generated -------------------------------------------------------


def evaluate_model(model: DecisionModel, answers: Mapping[str, object]) -> dict[str, Truth]:
    """The value of every definition of ``model`` for a partial answer set.

    Runs ``model``'s generated three-valued evaluator (``compile_model``),
    built on first use; it gives what ``evaluate`` gives on every definition
    (a test compares them, and ``verify`` cross-checks this function against
    its proof).
    """
    compiled = _compiled.get(model)
    if compiled is None:
        compiled = _compiled[model] = (tuple(d.name for d in model.definitions), compile_model(model))
    names, run = compiled
    return dict(zip(names, run(answers), strict=True))


def evaluate_model_by_tree(model: DecisionModel, answers: Mapping[str, object]) -> dict[str, Truth]:
    """``evaluate_model`` by walking each tree with ``evaluate``: the reference it is tested against."""
    values: dict[str, Truth] = {}
    for d in model.definitions:
        values[d.name] = evaluate(d.expr, answers, values)
    return values


_Run = Callable[[Mapping[str, object]], tuple[Truth, ...]]
_compiled: weakref.WeakKeyDictionary[DecisionModel, tuple[tuple[str, ...], _Run]] = (
    weakref.WeakKeyDictionary()
)


def compile_model(model: DecisionModel) -> _Run:
    """A generated function: a partial answer set in, every definition's truth out, in order.

    Straight-line code, one statement per node: an unanswered question is
    ``None`` (read with ``a.get(id, M)`` against a private marker), ``and``
    is false when any part is false, else unknown when any part is unknown,
    ``or`` the same way round, ``not`` keeps unknown unknown.  Only
    identifiers quoted with ``repr``, integers and choice codes quoted with
    ``repr`` enter the source.
    """
    questions: dict[str, str] = {}
    lines: list[str] = []
    local = {d.name: f"d{i}" for i, d in enumerate(model.definitions)}
    count = [0]

    def var(qid: str) -> str:
        if qid not in questions:
            questions[qid] = f"v{len(questions)}"
        return questions[qid]

    def emit(node: Condition) -> str:
        """The name, or literal, holding the truth of ``node``."""
        if isinstance(node, Const):
            return "True" if node.value else "False"
        if isinstance(node, Ref):
            return local[node.name]
        if isinstance(node, Flag):
            v = var(node.question)
            test = f"{v} is True"
        elif isinstance(node, Compare):
            v = var(node.question)
            test = f"{v} {node.op} {int(node.value)!r}"
        elif isinstance(node, OneOf):
            v = var(node.question)
            choices = ", ".join(repr(str(c)) for c in sorted(set(node.choices)))
            test = f"{v} in ({choices},)"
        elif isinstance(node, Not):
            inner = emit(node.operand)
            return _temp(lines, count, f"None if {inner} is None else not {inner}")
        elif isinstance(node, And | Or):
            parts = [emit(c) for c in node.operands]
            stop, other = ("True", "False") if isinstance(node, Or) else ("False", "True")
            settled = " or ".join(f"{p} is {stop}" for p in parts)
            unknown = " or ".join(f"{p} is None" for p in parts)
            return _temp(lines, count, f"{stop} if ({settled}) else None if ({unknown}) else {other}")
        else:
            raise TypeError(f"cannot evaluate {type(node).__name__}; resolve references first")
        return _temp(lines, count, f"None if {v} is M else {test}")

    for d in model.definitions:
        lines.append(f"    {local[d.name]} = {emit(d.expr)}")
    reads = [f"    {v} = a.get({qid!r}, M)" for qid, v in questions.items()]
    returned = ", ".join(local[d.name] for d in model.definitions)
    source = "\n".join(["def run(a):", *reads, *lines, f"    return ({returned},)"])
    namespace: dict[str, Any] = {}
    exec(compile(source, "<kneeguide interview>", "exec"), {"__builtins__": {}, "M": _MISSING}, namespace)
    run: _Run = namespace["run"]
    return run


_MISSING = object()
"""The value of an unanswered question inside generated code (no answer can be it)."""


def _temp(lines: list[str], count: list[int], expr: str) -> str:
    count[0] += 1
    name = f"t{count[0]}"
    lines.append(f"    {name} = {expr}")
    return name
