"""Prove the rules consistent over every valid answer set (``kneeguide verify``).

Tests sample answer sets; this module proves properties for all of them.  The
question set and every condition are encoded for the SMT solver z3: a yes/no
question is a Boolean, an integer question an integer bounded by its range,
a choice question an integer index into its choices.  Each property is then a
satisfiability question: "is there a valid answer set where the property
fails?".  *unsat* is a proof over the whole input space; *sat* comes with a
model, which is turned back into a complete answer set that ``kneeguide
assess`` accepts, shrunk so that it says only what the failure needs.

Speed comes from asking everything of one incremental solver.  Every rule
gets a Boolean "fires" literal defined once; the priority hit policy is one
chain of "some higher rule applies" literals, so "rule *i* decides" is a
single literal too, and each check is a call with a few assumptions on a
solver that keeps what it learnt from the previous ones.

z3 is imported inside the functions that need it, so ``import kneeguide``
and the commands that do not verify never pay for it.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from . import safety_proofs
from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref, questions_used, thresholds
from .guidance import Guidance
from .models import URGENCIES, Question
from .renderers import to_english

__all__ = [
    "PROPERTIES",
    "Check",
    "Decisions",
    "Model",
    "Report",
    "monotone_questions",
    "run_cli",
    "verify",
]

# --- what may only push urgency up ------------------------------------------------------


def monotone_questions(guidance: Guidance) -> list[str]:
    """The questions along which urgency may only rise, in question-set order.

    Which direction is worse is content (``worsens`` on each question, yes
    for yes/no questions unless it says otherwise), so a renamed or added
    question is proved like the others.  The one definition used by
    ``verify`` and by the property tests.
    """
    return [q.id for q in guidance.questions if q.direction != "none"]


PROPERTIES: Mapping[str, str] = {
    "completeness": "some thermal rule applies to every valid answer set",
    "exactly_one_thermal": (
        "exactly one thermal rule decides every valid answer set (no two rules of equal "
        "priority apply together), so the advice never depends on the order of the files"
    ),
    "no_ice_and_heat": "no valid answer set is advised both ice and heat",
    "no_dead_rules": (
        "every red flag, thermal rule, relief and prevention step can apply, and every "
        "invariant's 'when' can hold"
    ),
    "no_masked_rules": "every thermal rule that can apply also decides for some answer set",
    "red_flags_escalate": "whenever a red flag fires, the urgency is above self_care",
    "monotonic_urgency": (
        "answering yes to a yes/no question, or raising {integers}, never lowers the urgency"
    ),
    "invariant": "the declared safety invariant holds for every valid answer set",
    "scope_no_self_care": (
        "whenever a scope exclusion fires (a person the guide is not written for), no relief or "
        "prevention step and no ice or heat is given"
    ),
    "emergency_only_now": (
        "an emergency result gives only what to do now: no relief or prevention step, no ice or heat"
    ),
    "no_conflicts": "no valid answer set is given two items of a declared conflict",
    "interview_agrees": (
        "for every valid answer set and every set of unanswered questions, whatever the interview "
        "takes as settled (each red flag, urgency level, thermal rule and step) is what assess "
        "decides once every answer is in, so 'complete' and 'emergency' agree with assess and the "
        "certain urgency never exceeds the final one"
    ),
    "urgency_is_highest_flag": (
        "the engine's urgency is the highest urgency of the red flags that fired "
        "(checked by running the engine on every witness answer set the proofs produced)"
    ),
    "engine_agrees": (
        "the engine selects the same red flags, thermal rule, relief and prevention steps "
        "as the model the proofs reason about (on every witness answer set)"
    ),
}
"""Every property ``verify`` reports, with what it means when it is proved."""

ENGINE_SAMPLE_BUDGET = 40_000
"""How many rule decisions the engine cross-check may compare (answer sets x rules)."""

DETAILED_MASKED = 50
"""Masked rules reported in full (shrunk counterexample, every rule that hides it).

A rule set with thousands of masked rules (random ones, say) reports the rest
with a plain counterexample and the rule deciding there, which keeps the run
fast; fixing the first ones usually changes the rest anyway.
"""

# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One proved property, or one way a property fails."""

    property: str
    ok: bool
    rules: tuple[str, ...]
    message: str
    counterexample: dict[str, object] | None = None
    counterexample_after: dict[str, object] | None = None
    """Monotonicity only: the answer set after raising the question."""
    engine: dict[str, object] | None = None
    """What the engine decides for the counterexample, so a reader sees the fault."""
    engine_after: dict[str, object] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "property": self.property,
            "ok": self.ok,
            "rules": list(self.rules),
            "message": self.message,
            "counterexample": self.counterexample,
        }
        if self.counterexample_after is not None:
            out["counterexample_after"] = self.counterexample_after
        if self.engine is not None:
            out["engine"] = self.engine
        if self.engine_after is not None:
            out["engine_after"] = self.engine_after
        return out


@dataclass(frozen=True)
class Report:
    """Every check of one run of ``verify``."""

    guidance: dict[str, str]
    checks: tuple[Check, ...]
    seconds: float
    solver: str
    folder: str = ""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "guidance": dict(self.guidance),
            "solver": self.solver,
            "checks": [c.to_json() for c in self.checks],
            "seconds": round(self.seconds, 4),
        }


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

    def __init__(self, guidance: Guidance) -> None:
        import z3  # type: ignore[import-untyped]

        self.z3: Any = z3
        self.guidance = guidance
        self._bools: dict[str, Any] = {}
        self.questions: dict[str, Question] = {q.id: q for q in guidance.questions}
        self.choices: dict[str, tuple[str, ...]] = {
            q.id: tuple(c.code for c in q.choices or ()) for q in guidance.questions
        }
        found: dict[str, set[int]] = {}
        for tree in guidance.conditions.values():
            for qid, values in thresholds(tree).items():
                found.setdefault(qid, set()).update(values)
        self.cuts: dict[str, list[int]] = {}
        """Per integer question: every t in (minimum, maximum] where some condition changes."""
        for q in guidance.questions:
            if q.type == "integer":
                lo, hi = _bounds(q)
                self.cuts[q.id] = sorted(
                    {t + d for t in found.get(q.id, ()) for d in (0, 1) if lo < t + d <= hi}
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
        for q in self.guidance.questions:
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
        lo, hi = _bounds(self.questions[qid])
        if t <= lo:
            return "true"
        if t > hi:
            return "false"
        return f"|{self._lit(qid, str(t), prime)}|"

    def encode(self, node: Condition, prime: str | None = None) -> str:
        """SMT-LIB text of a resolved condition; question ``prime`` read from its copy."""
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
            return f"(not {self.encode(node.operand, prime)})"
        if isinstance(node, And):
            return f"(and {' '.join(self.encode(c, prime) for c in node.operands)} true)"
        if isinstance(node, Or):
            return f"(or {' '.join(self.encode(c, prime) for c in node.operands)} false)"
        if isinstance(node, Ref):
            return f"|def:{node.name}|"
        raise TypeError(f"cannot encode {type(node).__name__}; resolve references first")

    def domain_text(self, prime: str | None = None) -> str:
        """The constraints that make the literals one valid answer set."""
        out = []
        for q in self.guidance.questions:
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
        """The plainest answers: no, the lowest value, the first choice.

        Counterexamples are shrunk towards them, so a reader sees only the
        answers the failure needs.
        """
        z3 = self.z3
        prefs = []
        for q in self.guidance.questions:
            if q.type == "boolean":
                prefs.append(z3.Not(self.atom(self._lit(q.id))))
            elif q.type == "integer":
                prefs += [z3.Not(self.atom(self._lit(q.id, str(t)))) for t in self.cuts[q.id]]
            elif self.choices[q.id]:
                prefs.append(self.atom(self._lit(q.id, self.choices[q.id][0])))
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

    def answers(self, model: Any, prime: str | None = None) -> dict[str, object]:
        """The complete answer set a model describes, in question-set order.

        Integers are read by bisecting their chain of threshold literals, so
        a question with hundreds of thresholds costs a handful of look-ups.
        """

        def true(q: Question, part: str = "") -> bool:
            lit = self.atom(self._lit(q.id, part, q.id == prime))
            return self.truth(model, lit)

        out: dict[str, object] = {}
        for q in self.guidance.questions:
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
                out[q.id] = cuts[low - 1] if low else _bounds(q)[0]
            else:
                codes = self.choices[q.id]
                out[q.id] = next((c for c in codes if true(q, c)), codes[0])
        return out

    def assignment(self, answers: Mapping[str, object]) -> list[Any]:
        """Literals fixing every question to ``answers`` (an absent optional = no)."""
        lits = []
        for q in self.guidance.questions:
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


# --- the checks -----------------------------------------------------------------------


def _outcome(guidance: Guidance, answers: Mapping[str, object]) -> dict[str, object]:
    """What the engine decides, in a few fields a reader can check at a glance."""
    try:
        a = guidance.assess(answers)
    except Exception as exc:  # the engine refusing is itself the finding to show
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "urgency": a.urgency,
        "thermal": a.thermal.advice,
        "thermal_rule": a.thermal.rule,
        "red_flags": [rf.id for rf in a.red_flags],
    }


_KIND_NAMES = {
    "red_flag": "red flag",
    "thermal": "thermal rule",
    "relief": "relief step",
    "prevention": "prevention step",
}


class _Verifier:
    def __init__(self, guidance: Guidance) -> None:
        self.g = guidance
        self.m = Model(guidance)
        self.checks: list[Check] = []
        self.witnesses: list[dict[str, object]] = []
        self.titles = {rf.id: rf.title for rf in guidance.red_flags}
        self.priority = {r.id: r.priority for r in guidance.thermal_rules}
        self.advice = {r.id: r.advice for r in guidance.thermal_rules}
        self.rules = list(guidance.rules())
        self.masked_count = 0
        self.budget = max(20, ENGINE_SAMPLE_BUDGET // max(1, len(guidance.conditions)))
        """How many witness answer sets the engine cross-check runs."""

    def english(self, node: Condition) -> str:
        return to_english(node, self.m.questions, self.titles)

    def fail(
        self,
        prop: str,
        rules: Iterable[str],
        message: str,
        answers: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None:
        self.checks.append(
            Check(
                property=prop,
                ok=False,
                rules=tuple(dict.fromkeys(rules)),
                message=message,
                counterexample=answers,
                counterexample_after=after,
                engine=_outcome(self.g, answers) if answers is not None else None,
                engine_after=_outcome(self.g, after) if after is not None else None,
            )
        )

    def proved(self, prop: str) -> None:
        text = PROPERTIES[prop]
        if prop == "monotonic_urgency":
            ints = [q for q in monotone_questions(self.g) if self.m.questions[q].type == "integer"]
            text = text.format(integers=", ".join(ints) or "no integer")
        self.checks.append(Check(property=prop, ok=True, rules=(), message=text))

    def settle(self, prop: str, before: int) -> None:
        """Record a proof of ``prop`` unless a failure was added since ``before``."""
        if not any(c.property == prop for c in self.checks[before:]):
            self.proved(prop)

    def sample(self, model: Any) -> None:
        if len(self.witnesses) < self.budget:
            self.witnesses.append(self.m.answers(model))

    # -- the properties -------------------------------------------------------------------

    def run(self) -> list[Check]:
        self.thermal_walk()
        self.dead_rules()
        self.thermal_decisions()
        self.escalation()
        self.monotonicity()
        self.invariants()
        safety_proofs.gated_advice(self)
        safety_proofs.conflicts(self)
        safety_proofs.interview_soundness(self)
        self.engine_agreement()
        return self.checks

    def thermal_walk(self) -> None:
        """Completeness, and which thermal rules can decide, asked of the decision model."""
        m, z3 = self.m, self.m.z3
        self.decides: dict[str, bool] = {}
        every = max(1, -(-len(self.g.thermal_rules) // self.budget))
        for index, rid in enumerate(self.g.decisions.thermal):
            found = m.witness(m.full, m.decides(rid), shrink=False)
            self.decides[rid] = found is not None
            if found is not None and index % every == 0:
                self.sample(found)
        start = len(self.checks)
        model = m.witness(m.full, z3.Not(m.atom("any-thermal")))
        if model is not None:
            self.fail(
                "completeness",
                [],
                "no thermal rule applies to this answer set, so there is no ice or heat advice to "
                "give; widen a condition or add a lowest-priority rule with condition 'true'",
                m.answers(model),
            )
        self.settle("completeness", start)

    def dead_rules(self) -> None:
        """Every rule can be given (after its gate), every invariant's 'when' can hold."""
        m = self.m
        start = len(self.checks)
        masked: dict[str, Any] = {}
        for rule in self.rules:
            if rule.kind == "thermal" and self.decides[rule.id]:
                continue
            found = m.witness(m.full, m.fires(rule.id), shrink=False)
            if found is not None:
                if rule.kind == "thermal":
                    masked[rule.id] = found
                else:
                    self.sample(found)
                continue
            raw = m.holds(m.small, m.cond[rule.id])
            why = (
                ", but its gate withholds it whenever its condition holds (max_urgency, not_with or scope)"
                if raw
                else self.conflict(rule.condition)
            )
            self.fail(
                "no_dead_rules",
                [rule.id],
                f"{_KIND_NAMES[rule.kind]} {rule.id!r} can never apply: no valid answer set meets "
                f"its condition ({_flat(rule.item.condition)}){why}",
            )
        for inv in self.g.invariants:
            if not m.holds(m.small, m.cond[inv.id]):
                self.fail(
                    "no_dead_rules",
                    [inv.id],
                    f"invariant {inv.id!r} checks nothing: no valid answer set meets its 'when' "
                    f"({_flat(inv.when)}){self.conflict(self.g.conditions[inv.id])}",
                )
        self.settle("no_dead_rules", start)
        start = len(self.checks)
        for rid in masked:
            self.masked(rid)
        self.settle("no_masked_rules", start)

    def masked(self, rid: str) -> None:
        """Report a thermal rule that can apply but never decides, and what hides it.

        The rules that hide it are found by asking for an answer set where it
        applies and none of the hiders found so far does: the rule deciding
        there is one more hider.  When no such answer set is left, the solver
        has proved that the listed rules cover the rule completely.
        """
        m, z3 = self.m, self.m.z3
        priority = self.priority[rid]
        detailed = self.masked_count < DETAILED_MASKED
        self.masked_count += 1
        shrunk = m.witness(m.full, m.fires(rid), shrink=detailed)
        if shrunk is None:
            return
        first = m.answers(shrunk)
        cover: list[str] = []
        m.full.push()
        m.full.add(m.fires(rid))
        model = shrunk
        while True:
            winner = next((r for r in self.g.decisions.thermal if m.truth(model, m.decides(r))), None)
            if winner is None or winner in cover or self.priority[winner] <= priority:
                break  # cannot happen when the model is right; the engine check would say so
            cover.append(winner)
            if not detailed:
                break
            m.full.add(z3.Not(m.fires(winner)))
            if m.full.check() != z3.sat:
                break
            model = m.full.model()
        m.full.pop()
        hides = (
            f"{_names(cover)} of higher priority applies too"
            if detailed
            else f"a rule of higher priority applies too ({_names(cover)} here)"
        )
        rule = next(r for r in self.g.thermal_rules if r.id == rid)
        cover.sort(key=lambda r: -self.priority[r])
        self.fail(
            "no_masked_rules",
            [rid, *cover],
            f"thermal rule {rid!r} (priority {priority}) applies to some answer sets but never "
            f"decides: whenever its condition ({_flat(rule.condition)}) holds, {hides}; remove it, "
            "narrow the higher rules, or raise its priority",
            first,
        )

    def conflict(self, node: Condition) -> str:
        """Which parts of a contradictory condition rule each other out."""
        m, z3 = self.m, self.m.z3
        parts = list(node.operands) if isinstance(node, And) else [node]
        formulas = m.parse("".join(f"(assert {m.encode(p)})" for p in parts))
        lits = [z3.Bool(f"part:{i}") for i in range(len(parts))]
        s = m.solver()
        s.add(*[lit == f for lit, f in zip(lits, formulas, strict=True)])
        s.check(*lits)
        core = {c.get_id() for c in s.unsat_core()}
        clash = [self.english(p) for p, lit in zip(parts, lits, strict=True) if lit.get_id() in core]
        if len(clash) > 1:
            return "; these parts cannot all hold: " + "; ".join(f"'{c}'" for c in clash)
        if clash:
            return f"; '{clash[0]}' can never hold"
        return ""

    def thermal_decisions(self) -> None:
        m, z3 = self.m, self.m.z3
        start = len(self.checks)
        for n, group in enumerate(m.groups):
            if len(group) < 2:
                continue
            higher = m.atom(f"above:{n - 1}") if n else z3.BoolVal(False)
            tie = z3.And(z3.AtLeast(*[m.fires(r) for r in group], 2), z3.Not(higher))
            model = m.witness(m.full, tie)
            if model is None:
                continue
            both = [r for r in group if self.m.truth(model, m.fires(r))]
            self.fail(
                "exactly_one_thermal",
                both,
                f"thermal rules {_names(both)} share priority {self.priority[group[0]]} and all apply "
                "here with no higher rule applying, so the advice depends on which comes first in "
                "the file; give each rule its own priority",
                m.answers(model),
            )
        self.settle("exactly_one_thermal", start)
        start = len(self.checks)
        model = m.witness(m.full, m.advice("ice"), m.advice("heat"))
        if model is not None:
            both = [
                r.id
                for r in self.g.thermal_rules
                if r.advice in ("ice", "heat") and self.m.truth(model, m.decides(r.id))
            ]
            self.fail(
                "no_ice_and_heat",
                both,
                f"rules {_names(both)} both decide this answer set, one advising ice and one heat",
                m.answers(model),
            )
        self.settle("no_ice_and_heat", start)

    def escalation(self) -> None:
        m, z3 = self.m, self.m.z3
        start = len(self.checks)
        for rf in self.g.red_flags:
            if m.flag_level[rf.id] > 0:
                continue
            model = m.witness(m.full, m.fires(rf.id), z3.Not(m.urgency_at_least(1))) or m.witness(
                m.full, m.fires(rf.id)
            )
            self.fail(
                "red_flags_escalate",
                [rf.id],
                f"red flag {rf.id!r} has urgency self_care, so when it fires alone the person is "
                "told self-care although a warning sign applies; give it urgency soon or higher",
                m.answers(model) if model is not None else None,
            )
        self.settle("red_flags_escalate", start)

    def monotonicity(self) -> None:
        """For each monotone question, two copies of it: before and after raising it."""
        m = self.m
        start = len(self.checks)
        for qid in monotone_questions(self.g):
            q = m.questions[qid]
            readers = [rf.id for rf in self.g.red_flags if qid in questions_used(self.g.conditions[rf.id])]
            if not readers:
                continue
            text = [m.domain_text(prime=qid)]
            after: dict[str, str] = {}
            for rf in self.g.red_flags:
                if rf.id in readers:
                    text.append(
                        f"(assert (= |after:{qid}:{rf.id}| {m.encode(self.g.conditions[rf.id], qid)}))"
                    )
                    after[rf.id] = f"|after:{qid}:{rf.id}|"
                else:
                    after[rf.id] = f"|fires:{rf.id}|"
            if q.type == "boolean":
                step = f"(and (not |{m._lit(qid)}|) |{m._lit(qid, prime=True)}|)"
            else:
                step = (
                    "(or "
                    + " ".join(f"(and (not {m.ge(qid, t)}) {m.ge(qid, t, True)})" for t in m.cuts[qid])
                    + " false)"
                )
            drops = []
            for level in range(1, len(URGENCIES)):
                now = " ".join(after[f] for f, lv in m.flag_level.items() if lv >= level)
                drops.append(f"(and |urgency:{level}| (not (or {now} false)))")
            text.append(f"(assert (= |lowers:{qid}| (and {step} (or {' '.join(drops)}))))")
            m.full.add(*m.parse("".join(text), m.question_names(prime=qid)))
            model = m.witness(m.full, m.atom(f"lowers:{qid}"))
            if model is None:
                continue
            before = m.answers(model)
            raised = {**before, qid: m.answers(model, prime=qid)[qid]}
            lost = [
                f
                for f in readers
                if self.m.truth(model, m.fires(f)) and not self.m.truth(model, m.atom(f"after:{qid}:{f}"))
            ]
            old = _outcome(self.g, before).get("urgency")
            new = _outcome(self.g, raised).get("urgency")
            change = (
                f"answering yes to {qid!r}"
                if q.type == "boolean"
                else f"raising {qid!r} from {before[qid]} to {raised[qid]}"
            )
            self.fail(
                "monotonic_urgency",
                lost,
                f"{change} lowers the urgency from {old} to {new}: red flag(s) {_names(lost)} "
                "stop firing; a warning sign should not go away because the person reports more",
                before,
                after=raised,
            )
        self.settle("monotonic_urgency", start)

    def invariants(self) -> None:
        m, z3 = self.m, self.m.z3
        for inv in self.g.invariants:
            then = inv.then
            clauses: list[tuple[Any, str, list[str]]] = []
            if then.urgency_at_least is not None and URGENCIES.index(then.urgency_at_least) > 0:
                level = URGENCIES.index(then.urgency_at_least)
                clauses.append(
                    (z3.Not(m.urgency_at_least(level)), f"the urgency is below {then.urgency_at_least}", [])
                )
            if then.thermal_in:
                for a in ("ice", "heat", "none"):
                    if a not in then.thermal_in:
                        clauses.append(
                            (
                                m.advice(a),
                                f"the thermal advice is {a}, not {' or '.join(then.thermal_in)}",
                                [],
                            )
                        )
            for a in then.thermal_not or ():
                clauses.append((m.advice(a), f"the thermal advice is {a}", []))
            for f in then.red_flags_include or ():
                clauses.append((z3.Not(m.fires(f)), f"red flag {f!r} does not fire", [f]))
            failed = False
            for broken, what, rules in clauses:
                model = m.witness(m.full, m.fires(inv.id), broken)
                if model is None:
                    continue
                failed = True
                answers = m.answers(model)
                outcome = _outcome(self.g, answers)
                involved = [inv.id, *rules, str(outcome.get("thermal_rule", ""))]
                if "urgency" in what:
                    flags = outcome.get("red_flags")
                    involved += [str(f) for f in flags] if isinstance(flags, list) else []
                self.fail(
                    "invariant",
                    [r for r in involved if r],
                    f"invariant {inv.id!r} fails: {_flat(inv.statement)} But here its 'when' holds "
                    f"({_flat(inv.when)}) and {what}.",
                    answers,
                )
            if not failed:
                self.checks.append(
                    Check(
                        property="invariant",
                        ok=True,
                        rules=(inv.id,),
                        message=f"{inv.id}: {_flat(inv.statement)}",
                    )
                )

    def engine_agreement(self) -> None:
        """Run the engine on the witnesses and confirm the model agrees with every decision.

        Each answer set costs one check: the answers and every decision the
        engine made, as assumptions.  *sat* means the model makes the same
        decisions; otherwise the unsat core names the decisions that differ.
        """
        m, z3 = self.m, self.m.z3
        found = [c.counterexample for c in self.checks if c.counterexample is not None]
        room = max(0, self.budget - len(self.witnesses))
        if len(found) > room:
            found = [found[i * len(found) // room] for i in range(room)] if room else []
        sample = self.witnesses + found
        agree_start = urgency_start = len(self.checks)
        for answers in sample:
            fixed = m.assignment(answers)
            try:
                a = self.g.assess(answers)
            except Exception as exc:  # a refusal is a disagreement only if the model decides
                if m.full.check(*fixed, m.atom("any-thermal")) == z3.sat:
                    self.fail(
                        "engine_agrees",
                        [],
                        f"the engine refuses an answer set the model decides: {exc}",
                        dict(answers),
                    )
                continue
            fired = {r.id for r in a.red_flags} | {s.id for s in (*a.relief, *a.prevention)}
            claims: dict[int, tuple[str, str]] = {}
            lits = []
            for rule in self.rules:
                if rule.kind == "thermal":
                    lit = m.signed(f"decides:{rule.id}", rule.id == a.thermal.rule)
                    what = "thermal rule"
                else:
                    lit = m.signed(f"fires:{rule.id}", rule.id in fired)
                    what = "red flags" if rule.kind == "red_flag" else rule.kind
                claims[lit.get_id()] = (what, rule.id)
                lits.append(lit)
            if not m.check(m.full, *fixed, *lits):
                # The answers fix every literal, so each claim in the core is
                # checked on its own: the core alone may also name claims that
                # are right but linked to a wrong one (through a gate).
                suspects = [c for c in m.full.unsat_core() if c.get_id() in claims]
                core = [claims[c.get_id()] for c in suspects if not m.check(m.full, *fixed, c)]
                kinds = sorted({what for what, _ in core}) or ["decisions"]
                self.fail(
                    "engine_agrees",
                    [rule for _, rule in core],
                    f"the engine and the model disagree on the {' and '.join(kinds)} for this answer set",
                    dict(answers),
                )
            level = URGENCIES.index(a.urgency)
            ranks = [m.signed(f"urgency:{lv}", lv <= level) for lv in range(1, len(URGENCIES))]
            if not m.check(m.full, *fixed, *ranks):
                self.fail(
                    "urgency_is_highest_flag",
                    [r.id for r in a.red_flags],
                    f"the engine gives urgency {a.urgency}, which is not the highest urgency of the "
                    "red flags that fire",
                    dict(answers),
                )
        self.settle("urgency_is_highest_flag", urgency_start)
        self.settle("engine_agrees", agree_start)


def _names(ids: Sequence[str]) -> str:
    quoted = [repr(i) for i in ids]
    if not quoted:
        return "none"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _flat(text: str) -> str:
    return " ".join(text.split())


def verify(guidance: Guidance) -> Report:
    """Check every property of ``guidance`` over the whole input space."""
    import z3

    start = time.perf_counter()
    checks = _Verifier(guidance).run()
    order = list(PROPERTIES)
    checks.sort(key=lambda c: (order.index(c.property), c.ok))
    return Report(
        guidance={"id": guidance.id, "version": guidance.version, "digest": guidance.digest},
        checks=tuple(checks),
        seconds=time.perf_counter() - start,
        solver=f"z3 {z3.get_version_string()}",
        folder=str(guidance.folder),
    )


# --- output ---------------------------------------------------------------------------


def _compact(answers: Mapping[str, object]) -> str:
    return json.dumps(answers, ensure_ascii=False)


def _engine_line(outcome: Mapping[str, object] | None) -> str:
    if not outcome:
        return ""
    if "error" in outcome:
        return f"engine: {outcome['error']}"
    flags = outcome.get("red_flags") or []
    flag_text = ", ".join(str(f) for f in flags) if isinstance(flags, list) and flags else "none"
    return (
        f"engine gives: urgency {outcome['urgency']}, thermal {outcome['thermal']} "
        f"({outcome['thermal_rule']}), red flags: {flag_text}"
    )


def render_text(report: Report) -> str:
    """The human report: every property proved or failed, with counterexamples."""
    g = report.guidance
    lines = [
        f"verify {g['id']} {g['version']} ({g['digest']})",
        f"method: exact, {report.solver} over every valid answer set",
        "",
    ]
    for c in report.checks:
        label = c.property if c.property != "invariant" else f"invariant {c.rules[0]}"
        if c.ok:
            text = c.message if c.property != "invariant" else c.message.split(": ", 1)[-1]
            lines.append(f"  proved  {label}: {text}")
            continue
        lines.append(f"  FAILED  {c.property}: {c.message}")
        if c.rules:
            lines.append(f"          rules: {', '.join(c.rules)}")
        if c.counterexample is not None:
            name = "before" if c.counterexample_after is not None else "counterexample"
            lines.append(f"          {name}: {_compact(c.counterexample)}")
            if c.engine:
                lines.append(f"          {_engine_line(c.engine)}")
        if c.counterexample_after is not None:
            lines.append(f"          after: {_compact(c.counterexample_after)}")
            if c.engine_after:
                lines.append(f"          {_engine_line(c.engine_after)}")
    proved = sum(c.ok for c in report.checks)
    failed = len(report.checks) - proved
    verdict = "all properties proved" if not failed else f"{failed} failure(s)"
    lines += ["", f"{verdict}: {proved} proved, {failed} failed in {report.seconds:.2f} s"]
    return "\n".join(lines) + "\n"


_RULE_FILES = {
    "red_flags.yaml": "red_flags",
    "thermal.yaml": "rules",
    "relief.yaml": "steps",
    "prevention.yaml": "steps",
    "invariants.yaml": "invariants",
}


def _locate(guidance: Guidance, rule: str) -> str:
    """``file=...,line=...`` of the item with id ``rule`` in the guidance folder."""
    for fname, key in _RULE_FILES.items():
        items = guidance.data.get(fname, {}).get(key, [])
        if any(isinstance(i, Mapping) and i.get("id") == rule for i in items):
            path = guidance.folder / fname
            try:
                text = path.read_text("utf-8")
            except OSError:
                return ""
            pattern = re.compile(rf"^\s*-?\s*id:\s*['\"]?{re.escape(rule)}['\"]?\s*$")
            for n, line in enumerate(text.splitlines(), 1):
                if pattern.match(line):
                    return f"file={_escape_property(str(path))},line={n},"
            return f"file={_escape_property(str(path))},"
    return ""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, guidance: Guidance) -> str:
    """GitHub workflow annotations: one ``::error`` per failure, a notice on success."""
    lines = []
    for c in report.failures:
        where = _locate(guidance, c.rules[0]) if c.rules else ""
        body = c.message
        if c.rules:
            body += f"\nrules: {', '.join(c.rules)}"
        if c.counterexample is not None:
            body += f"\ncounterexample: {_compact(c.counterexample)}"
        if c.counterexample_after is not None:
            body += f"\nafter: {_compact(c.counterexample_after)}"
        title = _escape_property(f"kneeguide verify: {c.property}")
        lines.append(f"::error {where}title={title}::{_escape_data(body)}")
    if report.ok:
        title = _escape_property("kneeguide verify")
        lines.append(
            f"::notice title={title}::{len(report.checks)} properties proved "
            f"({report.solver}, {report.seconds:.2f} s)"
        )
    return "\n".join(lines) + "\n"


def run_cli(guidance: Guidance, fmt: str, out: TextIO) -> int:
    """``kneeguide verify``: print the report in ``fmt``; 0 when all hold, else 1."""
    report = verify(guidance)
    if fmt == "json":
        out.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "github":
        out.write(render_github(report, guidance))
    else:
        out.write(render_text(report))
    return 0 if report.ok else 1
