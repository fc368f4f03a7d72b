"""The SMT encoding shared by ``verify`` and ``diff``: questions and decisions as literals.

Integers are abstracted exactly to the intervals between the thresholds the
conditions compare them with; a choice is one literal per code.  Built on
one guidance it is what ``verify`` proves things about; built on two
(``Model(head, base)``) the questions of both share one encoding, over the
answers valid on both sides (the intersection of ranges and choices, every
threshold of either side), so ``diff`` compares the two decision models
exactly.

z3 is imported when a model is built, so nothing else pays for it.
"""

from __future__ import annotations

import ctypes
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref, thresholds
from .models import URGENCIES, Question

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


# --- the encoding ---------------------------------------------------------------------

_OP_LEVELS: Mapping[str, tuple[int, bool]] = {
    ">=": (0, True),
    ">": (1, True),
    "<": (0, False),
    "<=": (1, False),
}
"""``x op c`` as "x >= c + shift" (True) or its negation (False)."""


class Model:
    """The question set and every rule of one ``Guidance`` as propositional formulas.

    Integers are abstracted exactly to the intervals between the thresholds
    the conditions compare them with: a literal ``ge:q:t`` per threshold
    means "q >= t", chained so that the literals agree with one number.  Two
    values in the same interval meet the same conditions, so nothing is lost,
    and the whole problem is Boolean: z3's SAT engine (logic ``QF_FD``) answers
    each check in well under a millisecond.  A choice is one literal per code,
    exactly one of them true.

    Conditions are written as SMT-LIB text and parsed in one call, because
    building thousands of formulas through the Python API costs more than the
    proofs.  Public so the tests can cross-check it against the engine.
    """

    def __init__(self, guidance: Guidance, other: Guidance | None = None) -> None:
        import z3  # type: ignore[import-untyped]

        self.z3: Any = z3
        self.guidance = guidance
        self._bools: dict[str, Any] = {}
        sides = [guidance] if other is None else [guidance, other]
        self.questions: dict[str, Question] = {}
        """Every question of either side (``other``'s only ones last)."""
        for g in sides:
            for q in g.questions:
                self.questions.setdefault(q.id, q)
        self.bounds: dict[str, tuple[int, int]] = {}
        """Per integer question: the values valid on every side that asks it."""
        self.choices: dict[str, tuple[str, ...]] = {}
        """Per choice question: the codes valid on every side that asks it."""
        for qid, q in self.questions.items():
            asked = [x for g in sides for x in g.questions if x.id == qid]
            if q.type == "integer":
                self.bounds[qid] = (max(_bounds(x)[0] for x in asked), min(_bounds(x)[1] for x in asked))
            codes = [c.code for c in q.choices or ()]
            for x in asked[1:]:
                theirs = {c.code for c in x.choices or ()}
                codes = [c for c in codes if c in theirs]
            self.choices[qid] = tuple(codes)
        found: dict[str, set[int]] = {}
        for g in sides:
            for tree in g.conditions.values():
                for qid, values in thresholds(tree).items():
                    found.setdefault(qid, set()).update(values)
        self.cuts: dict[str, list[int]] = {}
        """Per integer question: every t in (minimum, maximum] where some condition changes."""
        for qid, q in self.questions.items():
            if q.type == "integer":
                lo, hi = self.bounds[qid]
                self.cuts[qid] = sorted(
                    {t + d for t in found.get(qid, ()) for d in (0, 1) if lo < t + d <= hi}
                )
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
        self.preferences = self._preferences()

    # -- names and text -------------------------------------------------------------------

    def _lit(self, qid: str, part: str = "", prime: bool = False) -> str:
        q = self.questions[qid]
        tick = "'" if prime else ""
        if q.type == "boolean":
            return f"q:{qid}{tick}"
        if q.type == "integer":
            return f"ge:{qid}:{part}{tick}"
        return f"is:{qid}:{part}{tick}"

    def question_names(self, prime: str | None = None) -> list[str]:
        """Every literal name of the question set (with ``prime``'s renamed)."""
        names = []
        for q in self.questions.values():
            p = q.id == prime
            if q.type == "boolean":
                names.append(self._lit(q.id, prime=p))
            elif q.type == "integer":
                names += [self._lit(q.id, str(t), p) for t in self.cuts[q.id]]
            else:
                names += [self._lit(q.id, c, p) for c in self.choices[q.id]]
        return names

    def ge(self, qid: str, t: int, prime: bool = False) -> str:
        """SMT-LIB for "q >= t"."""
        lo, hi = self.bounds[qid]
        if t <= lo:
            return "true"
        if t > hi:
            return "false"
        return f"|{self._lit(qid, str(t), prime)}|"

    def encode(self, node: Condition, prime: str | None = None, ref: str = "def:") -> str:
        """SMT-LIB text of a condition; question ``prime`` read from its copy.

        A reference to a decision-model definition is the literal ``ref`` +
        its name (``def:`` for the guidance the model is built on).
        """
        if isinstance(node, Const):
            return "true" if node.value else "false"
        if isinstance(node, Flag):
            return f"|{self._lit(node.question, prime=node.question == prime)}|"
        if isinstance(node, Compare):
            p = node.question == prime
            if node.op in ("==", "!="):
                at, above = self.ge(node.question, node.value, p), self.ge(node.question, node.value + 1, p)
                eq = f"(and {at} (not {above}))"
                return eq if node.op == "==" else f"(not {eq})"
            shift, positive = _OP_LEVELS[node.op]
            atom = self.ge(node.question, node.value + shift, p)
            return atom if positive else f"(not {atom})"
        if isinstance(node, OneOf):
            p = node.question == prime
            codes = [f"|{self._lit(node.question, c, p)}|" for c in sorted(set(node.choices))]
            return f"(or {' '.join(codes)} false)"
        if isinstance(node, Not):
            return f"(not {self.encode(node.operand, prime, ref)})"
        if isinstance(node, And):
            return f"(and {' '.join(self.encode(c, prime, ref) for c in node.operands)} true)"
        if isinstance(node, Or):
            return f"(or {' '.join(self.encode(c, prime, ref) for c in node.operands)} false)"
        if isinstance(node, Ref):
            return f"|{ref}{node.name}|"
        raise TypeError(f"cannot encode {type(node).__name__}; resolve references first")

    def domain_text(self, prime: str | None = None) -> str:
        """The constraints that make the literals one valid answer set."""
        out = []
        for q in self.questions.values():
            if prime is not None and q.id != prime:
                continue
            p = q.id == prime
            if q.type == "integer":
                cuts = self.cuts[q.id]
                out += [
                    f"(assert (=> {self.ge(q.id, b, p)} {self.ge(q.id, a, p)}))"
                    for a, b in itertools.pairwise(cuts)
                ]
            elif q.type == "choice":
                lits = [f"|{self._lit(q.id, c, p)}|" for c in self.choices[q.id]]
                out.append(f"(assert (or {' '.join(lits)}))")
                out += [f"(assert (not (and {a} {b})))" for i, a in enumerate(lits) for b in lits[i + 1 :]]
        return "".join(out)

    def parse(self, text: str, names: Iterable[str] = ()) -> list[Any]:
        """Parse assertions; every ``|name|`` they use is a Boolean."""
        used = set(re.findall(r"\|([^|]*)\|", text)) | set(names)
        decls = "".join(f"(declare-const |{n}| Bool)" for n in sorted(used))
        return list(self.z3.parse_smt2_string(decls + text))

    def solver(self) -> Any:
        s = self.z3.SolverFor("QF_FD")
        s.add(*self.domain)
        return s

    def atom(self, name: str) -> Any:
        """The literal called ``name`` (cached: creating z3 objects is the slow part)."""
        lit = self._bools.get(name)
        if lit is None:
            lit = self._bools[name] = self.z3.Bool(name)
        return lit

    def signed(self, name: str, value: bool) -> Any:
        """The literal ``name`` or its negation (both cached)."""
        key = name if value else "~" + name
        lit = self._bools.get(key)
        if lit is None:
            lit = self._bools[key] = self.atom(name) if value else self.z3.Not(self.atom(name))
        return lit

    def _preferences(self) -> list[Any]:
        """The plainest answers: no, each question's typical answer (``Question.example_answer``).

        Counterexamples are shrunk towards them, so a reader sees only the
        answers the failure needs, inside the intended use (an adult's age,
        not 0).
        """
        z3 = self.z3
        prefs = []
        for q in self.questions.values():
            v = q.example_answer
            if q.type == "boolean":
                prefs.append(z3.Not(self.atom(self._lit(q.id))))
            elif q.type == "integer":
                for t in self.cuts[q.id]:
                    lit = self.atom(self._lit(q.id, str(t)))
                    prefs.append(lit if isinstance(v, int) and v >= t else z3.Not(lit))
            elif self.choices[q.id]:
                code = v if v in self.choices[q.id] else self.choices[q.id][0]
                prefs.append(self.atom(self._lit(q.id, str(code))))
        return prefs

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

    def check(self, solver: Any, *literals: Any) -> bool:
        """Is ``solver`` satisfiable under the assumption ``literals``?

        The same as ``solver.check(*literals) == sat``, through z3's C API:
        the Python wrapper re-checks the sort of every assumption on every
        call, which costs more than the solving when a check assumes
        hundreds of literals, as shrinking and the engine cross-check do.
        """
        z3 = self.z3
        arr = (z3.Ast * len(literals))(*[lit.as_ast() for lit in literals])
        result = z3.Z3_solver_check_assumptions(solver.ctx.ref(), solver.solver, len(literals), arr)
        return bool(result == z3.Z3_L_TRUE)

    def truth(self, model: Any, formula: Any) -> bool:
        """Is ``formula`` true in ``model`` (unassigned literals read as false)?

        ``is_true(model.eval(...))`` through z3's C API: reading an answer
        set evaluates every literal of the question set, and the wrapper's
        Python objects cost four times the evaluation itself.
        """
        from z3 import z3core, z3types

        out = z3types.Ast(0)
        ctx = model.ctx.ref()
        z3core.Z3_model_eval(ctx, model.model, formula.as_ast(), True, ctypes.byref(out))
        return bool(z3core.Z3_get_bool_value(ctx, out) == z3core.Z3_L_TRUE)

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

    def answers(self, model: Any, prime: str | None = None) -> dict[str, object]:
        """The complete answer set a model describes, in question-set order.

        Integers are read by bisecting their chain of threshold literals, so
        a question with hundreds of thresholds costs a handful of look-ups.
        """

        def true(q: Question, part: str = "") -> bool:
            lit = self.atom(self._lit(q.id, part, q.id == prime))
            return self.truth(model, lit)

        out: dict[str, object] = {}
        for q in self.questions.values():
            if q.type == "boolean":
                out[q.id] = true(q)
            elif q.type == "integer":
                cuts = self.cuts[q.id]
                low, high = 0, len(cuts)  # the chain makes "q >= cut" true for a prefix
                while low < high:
                    mid = (low + high) // 2
                    if true(q, str(cuts[mid])):
                        low = mid + 1
                    else:
                        high = mid
                value = cuts[low - 1] if low else self.bounds[q.id][0]
                upper = cuts[low] if low < len(cuts) else self.bounds[q.id][1] + 1
                typical = q.example_answer  # any value of the interval meets the same conditions
                out[q.id] = typical if isinstance(typical, int) and value <= typical < upper else value
            else:
                codes = self.choices[q.id]
                out[q.id] = next((c for c in codes if true(q, c)), codes[0])
        return out

    def assignment(self, answers: Mapping[str, object]) -> list[Any]:
        """Literals fixing every question to ``answers`` (an absent optional = no)."""
        lits = []
        for q in self.questions.values():
            value = answers.get(q.id, False if not q.required else None)
            if value is None:
                raise KeyError(f"no answer for {q.id!r}")
            if q.type == "boolean":
                lits.append(self.signed(self._lit(q.id), value is True))
            elif q.type == "integer":
                n = int(str(value))
                lits += [self.signed(self._lit(q.id, str(t)), n >= t) for t in self.cuts[q.id]]
            else:
                lits += [self.signed(self._lit(q.id, c), value == c) for c in self.choices[q.id]]
        return lits

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


def _bounds(q: Question) -> tuple[int, int]:
    """An integer question's range (the loader requires both limits)."""
    return (q.minimum if q.minimum is not None else -(2**31), q.maximum if q.maximum is not None else 2**31)
