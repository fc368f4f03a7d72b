"""The FHIRPath form of each action's condition, for engines that run only FHIRPath.

FHIRPath has no named definitions and no unknown: every expression here is
self-contained and gives exactly one boolean.  The decision model's
three-valued meaning is kept by rendering each tree twice over, as "certainly
true" and "certainly false" (``certain``): an answer test is true only for a
valid answer that meets it, and false only for a valid answer that fails
it, so a missing or out-of-range required answer makes it neither, as in
``kneeguide.kleene``.  With every answer valid this is the plain two-valued
reading; an unanswered optional question reads as no, as ``assess`` reads it.

A thermal rule's expression folds in the higher-priority rules: only those
that a solver cannot prove exclusive with it (when z3, the ``verify`` extra,
is installed; otherwise all of them).
"""

from __future__ import annotations

from collections.abc import Callable, Set
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kneeguide.conditions import Condition
    from kneeguide.guidance import Guidance
    from kneeguide.models import Question

__all__ = ["FhirPath", "together_by_solver"]


class FhirPath:
    """Renders the FHIRPath of the gate, the group conditions and every action of one guidance."""

    def __init__(self, guidance: Guidance, answer_system: Callable[[str], str]) -> None:
        from kneeguide.renderers import fhirpath_string

        self.g = guidance
        self.q = {q.id: q for q in guidance.questions}
        self.s = fhirpath_string
        self.answer_system = answer_system
        self.together = together_by_solver(guidance)

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
        """FHIRPath that is true exactly when ``node`` (references expanded) is certainly ``truth``."""
        from kneeguide.conditions import And, Const, Not, Or

        if isinstance(node, Const):
            return "true" if node.value == truth else "false"
        if isinstance(node, Not):
            return self.certain(node.operand, not truth)
        if isinstance(node, And | Or):
            joiner = " and " if isinstance(node, And) == truth else " or "
            return "(" + joiner.join(self.certain(c, truth) for c in node.operands) + ")"
        return self.leaf(node, truth)

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
        # Without a solver every higher rule is kept, listed flat (not the nested ``above``
        # chain, which expands as deep as there are rules).
        _, certain, not_certain = dm.given(item_id, self.together or _all_of)
        parts = [self.certain(dm.expanded(c)) for c in certain]
        parts += [f"({self.certain(dm.expanded(n))}).not()" for n in not_certain]
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _all_of(rule: str, higher: tuple[str, ...]) -> Set[str]:
    return set(higher)


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


MAX_PAIRS = 20_000
"""Above this many (rule, higher rule) pairs the solver is not asked (about 0.4 ms a pair):
synthetic content at that size has few exclusive pairs, so the full fold costs less."""


def together_by_solver(guidance: Guidance) -> Callable[[str, tuple[str, ...]], Set[str]] | None:
    """``together(rule, higher)``: the higher rules that can apply with ``rule``, proven by z3.

    None without z3 (the ``verify`` extra), or with more than ``MAX_PAIRS``
    pairs of thermal rules: then every higher rule is folded in.  Each pair is
    one check of the decision model's encoding under two assumed literals
    ("both apply"); unsatisfiable means the higher rule never applies when
    this one does, so leaving it out changes nothing.
    """
    import importlib.util

    n = len(guidance.decisions.thermal)
    if importlib.util.find_spec("z3") is None or n * (n - 1) // 2 > MAX_PAIRS:
        return None
    from kneeguide.verifier import Model

    model = Model(guidance)
    full = model.full
    dm = guidance.decisions
    lits = {r: model.atom(f"def:{dm.applies(r)}") for r in dm.thermal}

    def together(rule: str, higher: tuple[str, ...]) -> Set[str]:
        return {h for h in higher if model.check(full, lits[rule], lits[h])}

    return together
