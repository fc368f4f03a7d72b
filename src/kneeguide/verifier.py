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

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from . import safety_proofs
from .conditions import And, Condition, questions_used
from .guidance import Guidance
from .models import URGENCIES
from .proof_report import Check, Report, render_github, render_text
from .renderers import to_english
from .smt import Decisions, Model

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
    import z3  # type: ignore[import-untyped]

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
