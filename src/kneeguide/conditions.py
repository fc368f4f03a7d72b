"""The condition language: one small tree that every backend renders.

Clinicians write conditions in YAML as short expressions such as
``visible_swelling and hours_since_onset <= 72`` or
``trigger in [exercise, heavy_lifting]``.  This module parses them (a
hand-written recursive-descent parser: nothing is ever passed to ``eval``),
type-checks them against the question set, and renders the resulting tree as
Python source, FHIRPath and English.  The verifier and the exporters use the
same tree, so the logic exists exactly once.

Grammar (lowest precedence first)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" expr ")" | "true" | "false"
                | "red_flag" "(" IDENT ")"
                | IDENT                              (a yes/no question)
                | IDENT OP INTEGER                   (OP: < <= > >= == !=)
                | IDENT ("==" | "!=") CHOICE
                | IDENT ["not"] "in" "[" CHOICE ("," CHOICE)* "]"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from .errors import KneeguideError

__all__ = [
    "And",
    "Compare",
    "Condition",
    "ConditionError",
    "Const",
    "Flag",
    "Not",
    "OneOf",
    "Or",
    "QuestionSpec",
    "RedFlagRef",
    "Ref",
    "conjoin",
    "parse",
    "questions_used",
    "typecheck",
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


# --- tokenizer -------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<int>-?\d+)
  | (?P<op><=|>=|==|!=|<|>)
  | (?P<punct>[()\[\],])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>'[^']*'|"[^"]*")
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "red_flag"})
MAX_CONDITION_LENGTH = 4000
MAX_DEPTH = 50


@dataclass(frozen=True)
class _Token:
    kind: str  # int, op, punct, ident, string, keyword, end
    text: str
    col: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ConditionError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup or ""
        if kind != "ws":
            value = m.group()
            if kind == "ident" and value in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, value, pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --- parser ----------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> _Token:
        tok = self.take()
        if tok.text != text:
            found = tok.text or "end of condition"
            raise ConditionError(f"expected {text!r} but found {found!r}", tok.col)
        return tok

    def parse(self) -> Condition:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ConditionError(f"unexpected {tok.text!r}; join conditions with 'and' or 'or'", tok.col)
        return node

    def expr(self) -> Condition:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError("condition is nested too deeply", self.peek().col)
        start = self.peek().col
        parts = [self.and_expr()]
        while self.peek().text == "or":
            self.take()
            parts.append(self.and_expr())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else Or(tuple(parts), start)

    def and_expr(self) -> Condition:
        start = self.peek().col
        parts = [self.not_expr()]
        while self.peek().text == "and":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts), start)

    def not_expr(self) -> Condition:
        tok = self.peek()
        if tok.text == "not":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ConditionError("condition is nested too deeply", tok.col)
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand, tok.col)
        return self.atom()

    def atom(self) -> Condition:
        tok = self.take()
        if tok.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if tok.text in ("true", "false"):
            return Const(tok.text == "true", tok.col)
        if tok.text == "red_flag":
            self.expect("(")
            name = self.take()
            if name.kind != "ident":
                raise ConditionError("red_flag(...) needs a red flag id", name.col)
            self.expect(")")
            return RedFlagRef(name.text, tok.col)
        if tok.kind != "ident":
            found = tok.text or "end of condition"
            raise ConditionError(f"expected a question id but found {found!r}", tok.col)
        nxt = self.peek()
        if nxt.kind == "op":
            self.take()
            value = self.take()
            op: Op = nxt.text  # type: ignore[assignment]
            if value.kind == "int":
                return Compare(tok.text, op, int(value.text), tok.col)
            if value.kind in ("ident", "string") and op in ("==", "!="):
                choice = _choice_text(value)
                one: Condition = OneOf(tok.text, (choice,), tok.col, (value.col,))
                return Not(one, tok.col) if op == "!=" else one
            raise ConditionError(f"expected a whole number or a choice after {op!r}", value.col)
        negated = False
        if nxt.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            negated = True
            nxt = self.peek()
        if nxt.text == "in":
            self.take()
            self.expect("[")
            cols = [self.peek().col]
            choices = [self.choice()]
            while self.peek().text == ",":
                self.take()
                cols.append(self.peek().col)
                choices.append(self.choice())
            self.expect("]")
            node = OneOf(tok.text, tuple(choices), tok.col, tuple(cols))
            return Not(node, tok.col) if negated else node
        return Flag(tok.text, tok.col)

    def choice(self) -> str:
        tok = self.take()
        if tok.kind not in ("ident", "string"):
            found = tok.text or "end of condition"
            raise ConditionError(f"expected a choice but found {found!r}", tok.col)
        return _choice_text(tok)


def _choice_text(tok: _Token) -> str:
    return tok.text[1:-1] if tok.kind == "string" else tok.text


def parse(text: str) -> Condition:
    """Parse condition text into a tree, or raise ``ConditionError``."""
    if not text.strip():
        raise ConditionError("the condition is empty", 0)
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionError(f"the condition is longer than {MAX_CONDITION_LENGTH} characters", 0)
    return _Parser(text).parse()


# --- checking -------------------------------------------------------------------


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


def typecheck(
    node: Condition,
    questions: Mapping[str, QuestionSpec],
    red_flags: frozenset[str] = frozenset(),
) -> list[ConditionError]:
    """Every way the tree does not fit the question set (empty when it fits).

    Each error carries its code and, for an unknown name, the closest known
    one ("did you mean").
    """
    from .hints import did_you_mean

    errors: list[ConditionError] = []

    def known(name: str, col: int) -> QuestionSpec | None:
        spec = questions.get(name)
        if spec is None:
            hint = did_you_mean(name, questions)
            errors.append(ConditionError(f"unknown question {name!r}{hint}", col, code="unknown-question"))
        return spec

    for n in walk(node):
        if isinstance(n, Flag):
            spec = known(n.question, n.col)
            if spec is not None and spec.type != "boolean":
                hint = (
                    f"compare it with a number, e.g. '{n.question} >= {spec.minimum or 0}'"
                    if spec.type == "integer"
                    else f"use '{n.question} in [...]'"
                )
                errors.append(
                    ConditionError(
                        f"{n.question!r} is a {spec.type} question, not yes/no: {hint}",
                        n.col,
                        code="condition-type",
                    )
                )
        elif isinstance(n, Compare):
            spec = known(n.question, n.col)
            if spec is None:
                continue
            if spec.type != "integer":
                errors.append(
                    ConditionError(
                        f"{n.question!r} is a {spec.type} question and cannot be compared with a number",
                        n.col,
                        code="condition-type",
                    )
                )
            elif (spec.minimum is not None and n.value < spec.minimum) or (
                spec.maximum is not None and n.value > spec.maximum
            ):
                errors.append(
                    ConditionError(
                        f"{n.value} is outside the range of {n.question!r} ({spec.minimum}..{spec.maximum})",
                        n.col,
                        code="out-of-range",
                    )
                )
        elif isinstance(n, OneOf):
            spec = known(n.question, n.col)
            if spec is None:
                continue
            if spec.type != "choice":
                errors.append(
                    ConditionError(
                        f"{n.question!r} is a {spec.type} question and has no choices",
                        n.col,
                        code="condition-type",
                    )
                )
                continue
            for i, choice in enumerate(n.choices):
                if choice not in spec.choices:
                    hint = did_you_mean(choice, spec.choices)
                    errors.append(
                        ConditionError(
                            f"{choice!r} is not a choice of {n.question!r}{hint} "
                            f"(choices: {', '.join(spec.choices)})",
                            n.choice_cols[i] if i < len(n.choice_cols) else n.col,
                            code="unknown-choice",
                        )
                    )
        elif isinstance(n, RedFlagRef) and n.red_flag not in red_flags:
            hint = did_you_mean(n.red_flag, red_flags)
            errors.append(
                ConditionError(f"unknown red flag {n.red_flag!r}{hint}", n.col, code="unknown-red-flag")
            )
    return errors


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
