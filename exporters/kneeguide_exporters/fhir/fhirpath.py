"""The FHIRPath form of each action's condition, for engines that run only FHIRPath.

FHIRPath has no named definitions and no unknown: every expression here is
self-contained and gives exactly one boolean.  The decision model's
three-valued meaning is kept by rendering each tree twice over, as "certainly
true" and "certainly false" (``certain``): an answer test is true only for a
valid answer that meets it, and false only for a valid answer that fails
it, so a missing or out-of-range required answer makes it neither, as in
``kneeguide.kleene``.  With every answer valid this is the plain two-valued
reading; an unanswered optional question reads as no, as ``assess`` reads it.

A thermal rule's expression folds in the higher-priority rules, each
distinct condition once (a higher rule whose gated condition is the same tree
as a higher one's adds nothing), and of those only the ones that a solver
cannot prove exclusive with it (when z3, the ``verify`` extra, is installed).
Each subtree is rendered once and its text reused, and the operands of an
``and`` or ``or`` that read the same are written once (both are idempotent),
so rendering costs as much as the text it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kneeguide.conditions import Condition
    from kneeguide.guidance import Guidance
    from kneeguide.models import Question

__all__ = ["FhirPath", "folded"]


class FhirPath:
    """Renders the FHIRPath of the gate, the group conditions and every action of one guidance."""

    def __init__(self, guidance: Guidance, answer_system: Callable[[str], str]) -> None:
        from kneeguide.renderers import fhirpath_string

        self.g = guidance
        self.q = {q.id: q for q in guidance.questions}
        self.s = fhirpath_string
        self.answer_system = answer_system
        self.together = folded(guidance)
        self._done: dict[tuple[int, bool], tuple[Condition, str]] = {}

    # --- answer tests ---------------------------------------------------------------------

    def answers(self, qid: str) -> str:
        return f"item.where(linkId={self.s(qid)}).answer"

    def answered(self, qid: str, test: str) -> str:
        return f"{self.answers(qid)}.where({test}).exists()"

    def valid_value(self, q: Question) -> str:
        """The test an answer's value passes when ``assess`` would take it."""
        if q.type == "boolean":
            return "value = true or value = false"
        if q.type == "integer":
            return " and ".join(["value is integer", *self._range(q.minimum, q.maximum)])
        codes = " or ".join(f"value.code = {self.s(c.code)}" for c in q.choices or ())
        system = f"value.system.exists().not() or value.system = {self.s(self.answer_system(q.id))}"
        return f"({codes or 'false'}) and ({system})"

    def valid(self) -> str:
        """Every required question answered once with a valid value; every optional one at most once."""
        parts = []
        for q in self.g.questions:
            once = f"{self.answers(q.id)}.count() = 1 and {self.answered(q.id, self.valid_value(q))}"
            parts.append(
                f"({once})" if q.required else f"(({self.answers(q.id)}.exists()).not() or ({once}))"
            )
        return " and ".join(parts)

    @staticmethod
    def _range(lo: int | None, hi: int | None) -> list[str]:
        return [f"value >= {int(lo)}" for _ in (lo,) if lo is not None] + [
            f"value <= {int(hi)}" for _ in (hi,) if hi is not None
        ]

    def leaf(self, node: Condition, truth: bool) -> str:
        """An answer test, read as certainly ``truth``."""
        from kneeguide.conditions import Compare, Flag, OneOf

        assert isinstance(node, Flag | Compare | OneOf), node
        if isinstance(node, Flag):
            q = self.q[node.question]
            if not truth and not q.required:  # an unanswered optional question reads as no
                return f"({self.answered(q.id, 'value = true')}).not()"
            return self.answered(q.id, f"value = {'true' if truth else 'false'}")
        q = self.q[node.question]
        if isinstance(node, Compare):
            op = node.op if truth else _NEGATED[node.op]
            lo, hi = q.minimum, q.maximum
            test = [f"value {'=' if op == '==' else op} {int(node.value)}"]
            return self.answered(q.id, " and ".join([*test, *self._range(lo, hi)]))
        chosen = set(node.choices)
        codes = [c.code for c in q.choices or () if (c.code in chosen) == truth]
        if not codes:
            return "false"
        return self.answered(q.id, " or ".join(f"value.code = {self.s(c)}" for c in codes))

    def certain(self, node: Condition, truth: bool = True) -> str:
        """FHIRPath that is true exactly when ``node`` (references expanded) is certainly ``truth``.

        Expanded trees share their subtrees (every reference to one
        definition is the same object), so each is rendered once, keyed by
        identity; the node is kept with its text, so the key stays its own.
        """
        from kneeguide.conditions import And, Const, Not, Or

        key = (id(node), truth)
        done = self._done.get(key)
        if done is not None:
            return done[1]
        if isinstance(node, Const):
            text = "true" if node.value == truth else "false"
        elif isinstance(node, Not):
            text = self.certain(node.operand, not truth)
        elif isinstance(node, And | Or):
            joiner = " and " if isinstance(node, And) == truth else " or "
            parts = dict.fromkeys(self.certain(c, truth) for c in node.operands)
            text = "(" + joiner.join(parts) + ")"
        else:
            text = self.leaf(node, truth)
        self._done[key] = (node, text)
        return text

    # --- what the PlanDefinition needs ------------------------------------------------------

    def open(self) -> str:
        from kneeguide.decision import URGENCY_NAMES

        dm = self.g.decisions
        emergency = self.certain(dm.expanded(dm.urgency_at_least(len(URGENCY_NAMES) - 1)))
        return f"({self.valid()}) or {emergency}"

    def any_red_flag(self) -> str:
        dm = self.g.decisions
        return self.certain(dm.expanded(dm.urgency_at_least(1)))

    def gate(self) -> str:
        return f"({self.valid()}).not()"

    def selected(self, item_id: str) -> str:
        """The action's own condition (its group adds "complete or emergency" where it needs it)."""
        dm = self.g.decisions
        # Higher rules listed flat (not the nested ``above`` chain, which expands as deep
        # as there are rules).
        _, certain, not_certain = dm.given(item_id, self.together)
        parts = [self.certain(dm.expanded(c)) for c in certain]
        negated = [self.certain(dm.expanded(n)) for n in not_certain]
        if set(parts) & set(negated):  # a higher rule applies exactly when this one does
            return "false"
        parts += [f"({n}).not()" for n in negated]
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


MAX_PAIRS = 20_000
"""Above this many pairs of distinct thermal conditions the solver is not asked (about 0.4 ms
a pair): every distinct higher condition is folded in."""


def folded(guidance: Guidance) -> Callable[[str, tuple[str, ...]], Set[str]]:
    """``together(rule, higher)``: the higher rules a thermal rule's FHIRPath must fold in.

    Of higher rules whose gated conditions are the same tree only the first
    is kept: "not certainly X" twice says no more than once.  Of the rest,
    z3 (when installed, and with at most ``MAX_PAIRS`` pairs of distinct
    conditions) drops those that never apply when this rule does: one check
    of the decision model's encoding per pair of distinct conditions, under
    two assumed literals ("both apply"); unsatisfiable means leaving the
    higher rule out changes nothing.  Rules sharing a condition share their
    checks.
    """
    dm = guidance.decisions
    # The definition itself, references unexpanded, is the key: the same tree gives the
    # same expansion, and hashing the expansions would read every gate's red flags.
    first: dict[Condition, str] = {}
    for r in dm.thermal:
        first.setdefault(dm[dm.applies(r)].expr, r)
    own = {r: first[dm[dm.applies(r)].expr] for r in dm.thermal}
    apart = _exclusive(guidance, tuple(first.values()))

    def together(rule: str, higher: tuple[str, ...]) -> Set[str]:
        mine = own[rule]
        kept = {own[h] for h in higher}
        return {h for h in kept if not apart(mine, h)}

    return together


def _exclusive(guidance: Guidance, rules: tuple[str, ...]) -> Callable[[str, str], bool]:
    """``apart(a, b)``: z3 proves thermal rules ``a`` and ``b`` never apply together (False if unknown)."""
    import importlib.util

    n = len(rules)
    if importlib.util.find_spec("z3") is None or n * (n - 1) // 2 > MAX_PAIRS:
        return lambda a, b: False
    from kneeguide.smt import Model

    model = Model(guidance)
    full = model.full
    dm = guidance.decisions
    lits = {r: model.atom(f"def:{dm.applies(r)}") for r in rules}
    known: dict[tuple[str, str], bool] = {}

    def apart(a: str, b: str) -> bool:
        pair = (a, b) if a <= b else (b, a)
        done = known.get(pair)
        if done is None:
            done = known[pair] = a != b and not model.check(full, lits[a], lits[b])
        return done

    return apart
