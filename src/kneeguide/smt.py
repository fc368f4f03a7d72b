"""The SMT encoding shared by ``verify`` and ``diff``: questions and decisions as literals.

Integers are abstracted exactly to the intervals between the thresholds the
conditions compare them with; a choice is one literal per code.  Built on
one guidance it is what ``verify`` proves things about; built on two
(``Model(head, base)``) the questions of both share one encoding, over the
answers valid on both sides (the intersection of ranges and choices, every
threshold of either side), so ``diff`` compares the two decision models
exactly.

The question encoding itself (literals, conditions as SMT-LIB text,
answers to literals and back) is ``kneeguide.smt_encoding``; this module
adds the decision model on top and asks the solver.  z3 is imported when a
model is built, so nothing else pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import URGENCIES
from .smt_encoding import QuestionEncoding

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["Decisions", "Model"]


@dataclass(frozen=True)
class Decisions:
    """What the model decides for one answer set; comparable with an ``Assessment``."""

    urgency: str
    red_flags: frozenset[str]
    thermal: tuple[str, ...]
    """Every thermal rule that decides (exactly one when the content is sound)."""
    relief: frozenset[str]
    prevention: frozenset[str]


class Model(QuestionEncoding):
    """The question set and every rule of one ``Guidance`` as propositional formulas.

    Over the question encoding (``QuestionEncoding``) every rule, step and
    invariant ``when`` is one formula, and the decision model's definitions
    are literals of the ``full`` solver.  z3's SAT engine (logic ``QF_FD``)
    answers each check in well under a millisecond.  Built on two guidances
    (``Model(head, base)``) the questions of both share one encoding, so
    ``diff`` compares the two decision models exactly.  Public so the tests
    can cross-check it against the engine.
    """

    def __init__(self, guidance: Guidance, other: Guidance | None = None) -> None:
        import z3  # type: ignore[import-untyped]

        self.guidance = guidance
        super().__init__(z3, [guidance] if other is None else [guidance, other])
        self.text: dict[str, str] = {item: self.encode(tree) for item, tree in guidance.conditions.items()}
        ids = list(self.text)
        parsed = self.parse("".join(f"(assert {self.text[i]})" for i in ids) + self.domain_text())
        self.cond: dict[str, Any] = dict(zip(ids, parsed[: len(ids)], strict=True))
        """The formula of every rule, step and invariant ``when``, by id."""
        self.domain: list[Any] = list(parsed[len(ids) :])
        self.small = self.solver()
        """Only the question set: "can this formula hold?", and clean witnesses."""
        self.flag_level = {rf.id: URGENCIES.index(rf.urgency) for rf in guidance.red_flags}
        self.groups: list[list[str]] = []
        """Thermal rules in groups of equal priority, highest first."""
        last: int | None = None
        for rule in guidance.thermal_by_priority():
            if rule.priority != last:
                self.groups.append([])
                last = rule.priority
            self.groups[-1].append(rule.id)
        self._full: Any = None

    def solver(self) -> Any:
        """A solver that knows only the question set's domain constraints."""
        s = self.z3.SolverFor("QF_FD")
        s.add(*self.domain)
        return s

    # -- the decision structure (built when a check needs it) ---------------------------------

    @property
    def full(self) -> Any:
        """A solver with every definition of the decision model, each one literal.

        ``def:<name>`` holds exactly when the definition does; the literals
        the properties ask about are aliases of them: ``fires:<id>`` (a red
        flag fires, a step is shown, a thermal rule applies, an invariant's
        'when' holds), ``decides:<id>``, ``urgency:<level>``, ``advice:<a>``.
        The hit policy, the urgency levels and the gates are read from the
        decision model, never written here again.
        """
        if self._full is None:
            g, dm = self.guidance, self.guidance.decisions
            text = [f"(assert (= |def:{d.name}| {self.encode(d.expr)}))" for d in dm.definitions]
            for f in dm.red_flags:
                text.append(f"(assert (= |fires:{f}| |def:{dm.fires(f)}|))")
            for r in dm.thermal:
                text.append(f"(assert (= |fires:{r}| |def:{dm.applies(r)}|))")
                text.append(f"(assert (= |decides:{r}| |def:{dm.decides(r)}|))")
            for st in (*dm.relief, *dm.prevention):
                text.append(f"(assert (= |fires:{st}| |def:{dm.shown(st)}|))")
            for inv in g.invariants:
                text.append(f"(assert (= |fires:{inv.id}| {self.text[inv.id]}))")
            for n in range(len(self.groups)):
                text.append(f"(assert (= |above:{n}| |def:above:{n}|))")
            last = f"|def:above:{len(self.groups) - 1}|" if self.groups else "false"
            text.append(f"(assert (= |any-thermal| {last}))")
            for advice in ("ice", "heat", "none"):
                wins = " ".join(f"|decides:{r.id}|" for r in g.thermal_rules if r.advice == advice)
                text.append(f"(assert (= |advice:{advice}| (or {wins} false)))")
            for level in range(1, len(URGENCIES)):
                text.append(f"(assert (= |urgency:{level}| |def:{dm.urgency_at_least(level)}|))")
            self._full = self.solver()
            self._full.add(*self.parse("".join(text), ["any-thermal"]))
        return self._full

    def side(self, other: Guidance, tag: str) -> None:
        """Add ``other``'s decision model to ``full`` as ``<tag>:def:<name>`` literals.

        With the model built over both guidances (``Model(head, base)``), the
        two sides share one question encoding, so "some answer set is decided
        differently" is one check on the shared solver.
        """
        ref = f"{tag}:def:"
        text = [
            f"(assert (= |{ref}{d.name}| {self.encode(d.expr, ref=ref)}))"
            for d in other.decisions.definitions
        ]
        self.full.add(*self.parse("".join(text)))

    def fires(self, item_id: str) -> Any:
        return self.atom(f"fires:{item_id}")

    def decides(self, rule_id: str) -> Any:
        return self.atom(f"decides:{rule_id}")

    def advice(self, advice: str) -> Any:
        return self.atom(f"advice:{advice}")

    def urgency_at_least(self, level: int) -> Any:
        return self.atom(f"urgency:{level}")

    # -- asking ---------------------------------------------------------------------------

    def holds(self, solver: Any, *formulas: Any) -> bool:
        """Can ``formulas`` hold together (on top of what ``solver`` holds)?"""
        return self.witness(solver, *formulas, shrink=False, model=False) is not None

    def witness(self, solver: Any, *formulas: Any, shrink: bool = True, model: bool = True) -> Any | None:
        """A model of ``formulas``, or None; shrunk towards the plainest answers.

        The formulas are added inside push/pop rather than passed as
        assumptions: z3 keeps the definitions it makes for a formula
        assumption, and thousands of them would slow every later model.
        """
        z3 = self.z3
        if not shrink and all(self._is_literal(f) for f in formulas):
            # Literals are assumptions: no push and pop, which make z3 start over on a large solver.
            if not self.check(solver, *formulas):
                return None
            return solver.model() if model else True
        solver.push()
        try:
            solver.add(*formulas)
            if solver.check() != z3.sat:
                return None
            if not model:
                return True
            if not shrink:
                return solver.model()
            prefs = list(self.preferences)
            for _ in range(12):
                if self.check(solver, *prefs):
                    return solver.model()
                core = {c.get_id() for c in solver.unsat_core()}
                kept = [p for p in prefs if p.get_id() not in core]
                if len(kept) == len(prefs):
                    break
                prefs = kept
            solver.check()
            return solver.model()
        finally:
            solver.pop()

    def _is_literal(self, formula: Any) -> bool:
        """A Boolean constant or its negation: assumed, it adds no definitions to the solver."""
        z3 = self.z3
        if z3.is_not(formula):
            formula = formula.arg(0)
        return bool(z3.is_const(formula) and formula.decl().kind() == z3.Z3_OP_UNINTERPRETED)

    def decisions(self, answers: Mapping[str, object]) -> Decisions:
        """What the model's literals decide for one concrete, valid answer set."""
        g = self.guidance
        model = self.witness(self.full, *self.assignment(answers), shrink=False)
        if model is None:
            raise ValueError("the answers lie outside the encoded question ranges")

        def true(lit: Any) -> bool:
            return self.truth(model, lit)

        level = max((lv for lv in range(1, len(URGENCIES)) if true(self.urgency_at_least(lv))), default=0)
        return Decisions(
            urgency=URGENCIES[level],
            red_flags=frozenset(rf.id for rf in g.red_flags if true(self.fires(rf.id))),
            thermal=tuple(r.id for r in g.thermal_by_priority() if true(self.decides(r.id))),
            relief=frozenset(s.id for s in g.relief if true(self.fires(s.id))),
            prevention=frozenset(s.id for s in g.prevention if true(self.fires(s.id))),
        )
