"""The proofs that keep advice safe: scope, emergencies, declared conflicts, the interview.

Each function adds the checks of one property to a running ``verify`` (the
``_Verifier`` of ``kneeguide.verifier``), asking its solver, which holds the
decision model.  They are kept apart from the consistency proofs so each file
stays small enough to read.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref
from .kleene import evaluate_model

if TYPE_CHECKING:
    from .verifier import _Verifier

__all__ = ["conflicts", "gated_advice", "interview_soundness"]


def _self_care(v: _Verifier) -> tuple[Any, list[str]]:
    """A formula "some self-care is given" (a step, ice or heat), and the items it names."""
    m, z3, dm = v.m, v.m.z3, v.g.decisions
    steps = [*dm.relief, *dm.prevention]
    parts = [m.fires(s) for s in steps] + [m.advice("ice"), m.advice("heat")]
    return z3.Or(*parts), steps


def _given(v: _Verifier, model: Any, steps: list[str]) -> list[str]:
    m = v.m
    given = [s for s in steps if m.truth(model, m.fires(s))]
    given += [r for r in v.g.decisions.thermal if m.truth(model, m.decides(r)) and v.advice[r] != "none"]
    return given


def gated_advice(v: _Verifier) -> None:
    """No self-care for a person outside the guide's scope, and none at an emergency."""
    m, z3 = v.m, v.m.z3
    some, steps = _self_care(v)
    scope = [rf.id for rf in v.g.red_flags if rf.out_of_scope]
    start = len(v.checks)
    if scope:
        out = z3.Or(*[m.fires(f) for f in scope])
        model = m.witness(m.full, out, some)
        if model is not None:
            fired = [f for f in scope if m.truth(model, m.fires(f))]
            given = _given(v, model, steps)
            v.fail(
                "scope_no_self_care",
                [*fired, *given],
                f"the guide is not for this person ({', '.join(map(repr, fired))}), yet "
                f"{', '.join(map(repr, given))} is given; gate it with max_urgency or not_with",
                m.answers(model),
            )
    v.settle("scope_no_self_care", start)
    start = len(v.checks)
    model = m.witness(m.full, m.urgency_at_least(3), some)
    if model is not None:
        given = _given(v, model, steps)
        v.fail(
            "emergency_only_now",
            given,
            f"an emergency result also gives {', '.join(map(repr, given))}; an emergency must show "
            "only what to do now",
            m.answers(model),
        )
    v.settle("emergency_only_now", start)


def conflicts(v: _Verifier) -> None:
    """No answer set is given two items of one declared conflict."""
    m, z3 = v.m, v.m.z3
    start = len(v.checks)
    for c in v.g.conflicts:
        shown = [_selected(v, item) for item in c.items]
        model = m.witness(m.full, z3.AtLeast(*shown, 2))
        if model is None:
            continue
        both = [item for item, lit in zip(c.items, shown, strict=True) if m.truth(model, lit)]
        v.fail(
            "no_conflicts",
            [c.id, *both],
            f"conflict {c.id!r}: {', '.join(map(repr, both))} are given together "
            f"({' '.join(c.reason.split())})",
            m.answers(model),
        )
    v.settle("no_conflicts", start)


def _selected(v: _Verifier, item: str) -> Any:
    m = v.m
    return m.decides(item) if item in v.advice else m.fires(item)


# --- the interview ----------------------------------------------------------------------


def _kleene(v: _Verifier, node: Condition) -> tuple[str, str]:
    """SMT-LIB for "certainly true" and "certainly false" of ``node`` when only known answers count.

    ``known:<q>`` says question q has been answered; a leaf is certain only
    when its question is known.  This is Kleene's three-valued logic written
    as two Boolean formulas, the solver's copy of ``kneeguide.kleene``.
    """
    m = v.m
    if isinstance(node, Const):
        return ("true", "false") if node.value else ("false", "true")
    if isinstance(node, Ref):
        return f"|kt:{node.name}|", f"|kf:{node.name}|"
    if isinstance(node, Flag | Compare | OneOf):
        known = f"|known:{node.question}|"
        value = m.encode(node)
        return f"(and {known} {value})", f"(and {known} (not {value}))"
    if isinstance(node, Not):
        t, f = _kleene(v, node.operand)
        return f, t
    if isinstance(node, And | Or):
        parts = [_kleene(v, c) for c in node.operands]
        ts, fs = " ".join(p[0] for p in parts), " ".join(p[1] for p in parts)
        if isinstance(node, And):
            return f"(and {ts} true)", f"(or {fs} false)"
        return f"(or {ts} false)", f"(and {fs} true)"
    raise TypeError(type(node).__name__)


def interview_soundness(v: _Verifier) -> None:
    """Prove the three-valued evaluation sound, then cross-check ``kneeguide.kleene`` with it.

    One query over every valid answer set and every set of answered
    questions (a free ``known`` literal per question, so every prefix of the
    ask order is among them): can any definition be certainly true while
    ``assess`` decides it false, or certainly false while it decides it
    true?  *unsat* proves that the interview never contradicts ``assess``.
    """
    m, dm = v.m, v.g.decisions
    start = len(v.checks)
    text = []
    for d in dm.definitions:
        t, f = _kleene(v, d.expr)
        text.append(f"(assert (= |kt:{d.name}| {t}))(assert (= |kf:{d.name}| {f}))")
    wrong = " ".join(
        f"(and |kt:{d.name}| (not |def:{d.name}|)) (and |kf:{d.name}| |def:{d.name}|)" for d in dm.definitions
    )
    text.append(f"(assert (= |interview-wrong| (or {wrong} false)))")
    known = [f"known:{q.id}" for q in v.g.questions]
    m.full.add(*m.parse("".join(text), [*known, "interview-wrong"]))
    model = m.witness(m.full, m.atom("interview-wrong"))
    if model is not None:
        answered = {q: a for q, a in m.answers(model).items() if m.truth(model, m.atom(f"known:{q}"))}
        bad = [
            d.name
            for d in dm.definitions
            if m.truth(model, m.atom(f"kt:{d.name}")) != m.truth(model, m.atom(f"def:{d.name}"))
            and (m.truth(model, m.atom(f"kt:{d.name}")) or m.truth(model, m.atom(f"kf:{d.name}")))
        ]
        v.fail(
            "interview_agrees",
            bad,
            f"with only {sorted(answered)} answered the interview would settle {', '.join(bad)} "
            "differently from assess",
            m.answers(model),
        )
    else:
        _cross_check(v)
    v.settle("interview_agrees", start)


def _cross_check(v: _Verifier) -> None:
    """``kneeguide.kleene`` against the proved encoding, on witnesses cut at ask-order prefixes."""
    m, dm = v.m, v.g.decisions
    rng = random.Random(0)
    order = list(dm.ask_order)
    for answers in v.witnesses[: max(1, v.budget // 4)]:
        cut = rng.randrange(len(order) + 1)
        known = set(order[:cut])
        partial: Mapping[str, object] = {q: a for q, a in answers.items() if q in known}
        values = evaluate_model(dm, partial)
        lits = list(m.assignment(answers))
        lits += [m.signed(f"known:{q.id}", q.id in known) for q in v.g.questions]
        for d in dm.definitions:
            value = values[d.name]
            lits.append(m.signed(f"kt:{d.name}", value is True))
            lits.append(m.signed(f"kf:{d.name}", value is False))
        if not m.check(m.full, *lits):
            v.fail(
                "interview_agrees",
                [],
                f"the interview's three-valued evaluation differs from the proved one with "
                f"{sorted(known)} answered",
                dict(answers),
            )
            return
