"""The consistency proofs of ``verify``: one thermal rule decides, nothing is dead or masked,
red flags escalate, urgency is monotone, the declared invariants hold.

Each function adds the checks of one property to a running ``verify`` (the
``_Verifier`` of ``kneeguide.verifier``), asking its solver, which holds the
decision model (``kneeguide.smt``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .conditions import And, Condition, questions_used
from .models import URGENCIES
from .proof_report import _KIND_NAMES, Check, _flat, _names, _outcome

if TYPE_CHECKING:
    from .guidance import Guidance
    from .verifier import _Verifier

DETAILED_MASKED = 50
"""Masked rules reported in full (shrunk counterexample, every rule that hides it).

A rule set with thousands of masked rules (random ones, say) reports the rest
with a plain counterexample and the rule deciding there, which keeps the run
fast; fixing the first ones usually changes the rest anyway.
"""


MODELS_KEPT = 32
"""Models of masked rules kept to report further ones from (the latest first)."""


def monotone_questions(guidance: Guidance) -> list[str]:
    """The questions along which urgency may only rise, in question-set order.

    Which direction is worse is content (``worsens`` on each question, yes
    for yes/no questions unless it says otherwise), so a renamed or added
    question is proved like the others.  The one definition used by
    ``verify`` and by the property tests.
    """
    return [q.id for q in guidance.questions if q.direction != "none"]


__all__ = [
    "dead_rules",
    "escalation",
    "invariants",
    "monotone_questions",
    "monotonicity",
    "thermal_decisions",
    "thermal_walk",
]


def thermal_walk(v: _Verifier) -> None:
    """Completeness, and which thermal rules can decide, asked of the decision model."""
    m, z3 = v.m, v.m.z3
    v.decides.clear()
    every = max(1, -(-len(v.g.thermal_rules) // v.budget))
    for index, rid in enumerate(v.g.decisions.thermal):
        keep = index % every == 0 and v.wants_sample()  # a model costs more than the check
        found = m.witness(m.full, m.decides(rid), shrink=False, model=keep)
        v.decides[rid] = found is not None
        if found is not None and keep:
            v.sample(found)
    start = len(v.checks)
    model = m.witness(m.full, z3.Not(m.atom("any-thermal")))
    if model is not None:
        v.fail(
            "completeness",
            [],
            "no thermal rule applies to this answer set, so there is no ice or heat advice to "
            "give; widen a condition or add a lowest-priority rule with condition 'true'",
            m.answers(model),
        )
    v.settle("completeness", start)


def dead_rules(v: _Verifier) -> None:
    """Every rule can be given (after its gate), every invariant's 'when' can hold."""
    m = v.m
    start = len(v.checks)
    hidden: dict[str, Any] = {}
    for rule in v.rules:
        if rule.kind == "thermal" and v.decides[rule.id]:
            continue
        keep = rule.kind != "thermal" and v.wants_sample()
        found = m.witness(m.full, m.fires(rule.id), shrink=False, model=keep)
        if found is not None:
            if rule.kind == "thermal":
                hidden[rule.id] = found
            elif keep:
                v.sample(found)
            continue
        raw = m.holds(m.small, m.cond[rule.id])
        why = (
            ", but its gate withholds it whenever its condition holds (max_urgency, not_with or scope)"
            if raw
            else conflict(v, rule.condition)
        )
        v.fail(
            "no_dead_rules",
            [rule.id],
            f"{_KIND_NAMES[rule.kind]} {rule.id!r} can never apply: no valid answer set meets "
            f"its condition ({_flat(rule.item.condition)}){why}",
        )
    for inv in v.g.invariants:
        if not m.holds(m.small, m.cond[inv.id]):
            v.fail(
                "no_dead_rules",
                [inv.id],
                f"invariant {inv.id!r} checks nothing: no valid answer set meets its 'when' "
                f"({_flat(inv.when)}){conflict(v, v.g.conditions[inv.id])}",
            )
    v.settle("no_dead_rules", start)
    start = len(v.checks)
    for rid in hidden:
        masked(v, rid)
    v.settle("no_masked_rules", start)


def masked(v: _Verifier, rid: str) -> None:
    """Report a thermal rule that can apply but never decides, and what hides it.

    The rules that hide it are found by asking for an answer set where it
    applies and none of the hiders found so far does: the rule deciding
    there is one more hider.  When no such answer set is left, the solver
    has proved that the listed rules cover the rule completely.
    """
    m, z3 = v.m, v.m.z3
    priority = v.priority[rid]
    detailed = v.masked_count < DETAILED_MASKED
    v.masked_count += 1
    # Past the detailed ones, a model already found where this rule applies serves too:
    # every rule that applies there is hidden there, so one model reports many rules.
    seen = None if detailed else next((s for s in v.masked_models if m.truth(s[0], m.fires(rid))), None)
    if seen is None:
        shrunk = m.witness(m.full, m.fires(rid), shrink=detailed)
        if shrunk is None:
            return
        seen = (shrunk, m.answers(shrunk))
        if not detailed:
            v.masked_models[:0] = [seen]
            del v.masked_models[MODELS_KEPT:]
    shrunk, first = seen
    cover: list[str] = []
    assumed = [m.fires(rid)]  # literals, assumed: no push and pop on the large solver
    model = shrunk
    while True:
        winner = next((r for r in v.g.decisions.thermal if m.truth(model, m.decides(r))), None)
        if winner is None or winner in cover or v.priority[winner] <= priority:
            break  # cannot happen when the model is right; the engine check would say so
        cover.append(winner)
        if not detailed:
            break
        assumed.append(z3.Not(m.fires(winner)))
        if not m.check(m.full, *assumed):
            break
        model = m.full.model()
    hides = (
        f"{_names(cover)} of higher priority applies too"
        if detailed
        else f"a rule of higher priority applies too ({_names(cover)} here)"
    )
    rule = next(r for r in v.g.thermal_rules if r.id == rid)
    cover.sort(key=lambda r: -v.priority[r])
    v.fail(
        "no_masked_rules",
        [rid, *cover],
        f"thermal rule {rid!r} (priority {priority}) applies to some answer sets but never "
        f"decides: whenever its condition ({_flat(rule.condition)}) holds, {hides}; remove it, "
        "narrow the higher rules, or raise its priority",
        first,
    )


def conflict(v: _Verifier, node: Condition) -> str:
    """Which parts of a contradictory condition rule each other out."""
    m, z3 = v.m, v.m.z3
    parts = list(node.operands) if isinstance(node, And) else [node]
    formulas = m.parse("".join(f"(assert {m.encode(p)})" for p in parts))
    lits = [z3.Bool(f"part:{i}") for i in range(len(parts))]
    s = m.solver()
    s.add(*[lit == f for lit, f in zip(lits, formulas, strict=True)])
    s.check(*lits)
    core = {c.get_id() for c in s.unsat_core()}
    clash = [v.english(p) for p, lit in zip(parts, lits, strict=True) if lit.get_id() in core]
    if len(clash) > 1:
        return "; these parts cannot all hold: " + "; ".join(f"'{c}'" for c in clash)
    if clash:
        return f"; '{clash[0]}' can never hold"
    return ""


def thermal_decisions(v: _Verifier) -> None:
    m, z3 = v.m, v.m.z3
    start = len(v.checks)
    for n, group in enumerate(m.groups):
        if len(group) < 2:
            continue
        higher = m.atom(f"above:{n - 1}") if n else z3.BoolVal(False)
        tie = z3.And(z3.AtLeast(*[m.fires(r) for r in group], 2), z3.Not(higher))
        model = m.witness(m.full, tie)
        if model is None:
            continue
        both = [r for r in group if v.m.truth(model, m.fires(r))]
        v.fail(
            "exactly_one_thermal",
            both,
            f"thermal rules {_names(both)} share priority {v.priority[group[0]]} and all apply "
            "here with no higher rule applying, so the advice depends on which comes first in "
            "the file; give each rule its own priority",
            m.answers(model),
        )
    v.settle("exactly_one_thermal", start)
    start = len(v.checks)
    model = m.witness(m.full, m.advice("ice"), m.advice("heat"))
    if model is not None:
        both = [
            r.id
            for r in v.g.thermal_rules
            if r.advice in ("ice", "heat") and v.m.truth(model, m.decides(r.id))
        ]
        v.fail(
            "no_ice_and_heat",
            both,
            f"rules {_names(both)} both decide this answer set, one advising ice and one heat",
            m.answers(model),
        )
    v.settle("no_ice_and_heat", start)


def escalation(v: _Verifier) -> None:
    m, z3 = v.m, v.m.z3
    start = len(v.checks)
    for rf in v.g.red_flags:
        if m.flag_level[rf.id] > 0:
            continue
        model = m.witness(m.full, m.fires(rf.id), z3.Not(m.urgency_at_least(1))) or m.witness(
            m.full, m.fires(rf.id)
        )
        v.fail(
            "red_flags_escalate",
            [rf.id],
            f"red flag {rf.id!r} has urgency self_care, so when it fires alone the person is "
            "told self-care although a warning sign applies; give it urgency soon or higher",
            m.answers(model) if model is not None else None,
        )
    v.settle("red_flags_escalate", start)


def monotonicity(v: _Verifier) -> None:
    """For each monotone question, two copies of it: before and after raising it."""
    m = v.m
    start = len(v.checks)
    for qid in monotone_questions(v.g):
        q = m.questions[qid]
        readers = [rf.id for rf in v.g.red_flags if qid in questions_used(v.g.conditions[rf.id])]
        if not readers:
            continue
        text = [m.domain_text(prime=qid)]
        after: dict[str, str] = {}
        for rf in v.g.red_flags:
            if rf.id in readers:
                text.append(f"(assert (= |after:{qid}:{rf.id}| {m.encode(v.g.conditions[rf.id], qid)}))")
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
            if v.m.truth(model, m.fires(f)) and not v.m.truth(model, m.atom(f"after:{qid}:{f}"))
        ]
        old = _outcome(v.g, before).get("urgency")
        new = _outcome(v.g, raised).get("urgency")
        change = (
            f"answering yes to {qid!r}"
            if q.type == "boolean"
            else f"raising {qid!r} from {before[qid]} to {raised[qid]}"
        )
        v.fail(
            "monotonic_urgency",
            lost,
            f"{change} lowers the urgency from {old} to {new}: red flag(s) {_names(lost)} "
            "stop firing; a warning sign should not go away because the person reports more",
            before,
            after=raised,
        )
    v.settle("monotonic_urgency", start)


def invariants(v: _Verifier) -> None:
    m, z3 = v.m, v.m.z3
    for inv in v.g.invariants:
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
            outcome = _outcome(v.g, answers)
            involved = [inv.id, *rules, str(outcome.get("thermal_rule", ""))]
            if "urgency" in what:
                flags = outcome.get("red_flags")
                involved += [str(f) for f in flags] if isinstance(flags, list) else []
            v.fail(
                "invariant",
                [r for r in involved if r],
                f"invariant {inv.id!r} fails: {_flat(inv.statement)} But here its 'when' holds "
                f"({_flat(inv.when)}) and {what}.",
                answers,
            )
        if not failed:
            v.checks.append(
                Check(
                    property="invariant",
                    ok=True,
                    rules=(inv.id,),
                    message=f"{inv.id}: {_flat(inv.statement)}",
                )
            )
