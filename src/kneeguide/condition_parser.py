"""The condition parser: condition text to a tree, never through ``eval``.

Clinicians write conditions in YAML as short expressions such as
``visible_swelling and hours_since_onset <= 72`` or
``trigger in [exercise, heavy_lifting]``.  A hand-written tokenizer and
recursive-descent parser build the tree of ``kneeguide.condition_tree``;
every error carries the 0-based column of the offending token, so the
loader can point at it in the YAML file.  Length and nesting are bounded,
so a hostile condition cannot make the parser recurse without end.

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
from dataclasses import dataclass

from .condition_tree import (
    And,
    Compare,
    Condition,
    ConditionError,
    Const,
    Flag,
    Not,
    OneOf,
    Op,
    Or,
    RedFlagRef,
)

__all__ = ["MAX_CONDITION_LENGTH", "MAX_DEPTH", "parse"]

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
