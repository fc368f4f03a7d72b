"""The condition tree: the node types every backend renders, and walks over them.

A condition is parsed (``kneeguide.condition_parser``) into a tree of these
frozen dataclasses, type-checked against the question set
(``kneeguide.conditions.typecheck``), and its ``red_flag(...)`` references
are resolved away (``resolve``).  Python source, FHIRPath, CQL, the solver
encoding and English are all rendered from the same tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from .errors import KneeguideError

__all__ = [
    "MAX_RESOLVED_DEPTH",
    "And",
    "Compare",
    "Condition",
    "ConditionError",
    "Const",
    "Flag",
    "NestingError",
    "Not",
    "OneOf",
    "Op",
    "Or",
    "QuestionSpec",
    "QuestionType",
    "RedFlagRef",
    "Ref",
    "conjoin",
    "questions_used",
    "resolve",
    "thresholds",
    "walk",
]

Op: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]
QuestionType: TypeAlias = Literal["boolean", "integer", "choice"]


class ConditionError(KneeguideError, ValueError):
    """A condition that cannot be parsed or does not fit the question set.

    ``column`` is the 0-based offset inside the condition text, so the loader
    can point at the exact character in the YAML file; ``code`` is the stable
    diagnostic code (docs/diagnostics.md) of the kind of mistake.
    """

    def __init__(self, message: str, column: int = 0, code: str = "condition-syntax") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.code = code

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.message, self.column, self.code))


@dataclass(frozen=True)
class QuestionSpec:
    """What the type checker needs to know about one question."""

    id: str
    type: QuestionType
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    label: str = ""


# --- the tree -----------------------------------------------------------------
# ``col`` is where the node starts in the source text; it takes no part in
# equality so that two conditions that mean the same compare equal.


@dataclass(frozen=True)
class Const:
    value: bool
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Flag:
    """A yes/no question answered yes."""

    question: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    """An integer question compared with a constant."""

    question: str
    op: Op
    value: int
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class OneOf:
    """A choice question whose answer is one of ``choices``."""

    question: str
    choices: tuple[str, ...]
    col: int = field(default=0, compare=False)
    choice_cols: tuple[int, ...] = field(default=(), compare=False)
    """Where each choice is written, so a wrong one is reported at itself."""


@dataclass(frozen=True)
class RedFlagRef:
    """Another red flag's condition, by id.

    The loader replaces it by the referenced condition (see ``resolve``), so
    backends never meet it; the English renderer keeps the name readable.
    """

    red_flag: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Ref:
    """A named definition of the decision model (``kneeguide.decision``), by name.

    Content never writes one: the decision model builds them so that a rule
    is written once and every later definition refers to it.  Backends that
    can name things (Python locals, solver literals, CQL defines) render a
    reference as that name; the others expand it first.
    """

    name: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Condition
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]
    col: int = field(default=0, compare=False)


Condition: TypeAlias = Const | Flag | Compare | OneOf | RedFlagRef | Ref | Not | And | Or


def conjoin(*conditions: Condition) -> Condition:
    """Join conditions with ``and``, flattening nested ``And`` nodes."""
    parts: list[Condition] = []
    for c in conditions:
        parts.extend(c.operands if isinstance(c, And) else (c,))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


# --- walking the tree ---------------------------------------------------------------


def walk(node: Condition) -> Iterator[Condition]:
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, And | Or):
        for child in node.operands:
            yield from walk(child)


def questions_used(node: Condition) -> frozenset[str]:
    """The ids of the questions a condition reads."""
    return frozenset(n.question for n in walk(node) if isinstance(n, Flag | Compare | OneOf))


class NestingError(ConditionError):
    """A condition nests too deeply once ``red_flag(...)`` references are followed."""

    def __init__(self) -> None:
        super().__init__(
            f"after following red_flag(...) references the condition nests more than "
            f"{MAX_RESOLVED_DEPTH} levels deep; simplify the chain of references",
            code="condition-depth",
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), ())


MAX_RESOLVED_DEPTH = 64
"""How deep a resolved tree may nest: every backend renders it recursively."""


def resolve(node: Condition, lookup: Callable[[str, int], Condition], at: int = 0) -> Condition:
    """Replace every ``red_flag(id)`` by the referenced condition.

    ``at`` is the depth of ``node`` in the resolved tree; ``lookup(id, depth)``
    gets the depth where the reference stands and raises ``ConditionError``
    for a cycle.  Past ``MAX_RESOLVED_DEPTH`` levels this raises
    ``NestingError``, so a chain of references cannot make a tree that the
    renderers would overflow on.  The result contains no ``RedFlagRef``, so
    every backend works on plain questions.
    """
    if at > MAX_RESOLVED_DEPTH:
        raise NestingError
    if isinstance(node, RedFlagRef):
        return lookup(node.red_flag, at + 1)
    if isinstance(node, Not):
        return Not(resolve(node.operand, lookup, at + 1), node.col)
    if isinstance(node, And):
        return And(tuple(resolve(c, lookup, at + 1) for c in node.operands), node.col)
    if isinstance(node, Or):
        return Or(tuple(resolve(c, lookup, at + 1) for c in node.operands), node.col)
    return node


def thresholds(node: Condition) -> dict[str, set[int]]:
    """Every integer constant each question is compared with.

    Boundary-biased test strategies and the verifier's interval abstraction
    both start from this.
    """
    found: dict[str, set[int]] = {}
    for n in walk(node):
        if isinstance(n, Compare):
            found.setdefault(n.question, set()).add(n.value)
    return found
