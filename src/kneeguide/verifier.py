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

import time
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from . import consistency_proofs, safety_proofs
from .conditions import Condition
from .consistency_proofs import monotone_questions
from .guidance import Guidance
from .models import URGENCIES
from .proof_report import Check, Report, _outcome
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

# --- the checks -----------------------------------------------------------------------


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
        self.masked_models: list[tuple[Any, dict[str, object]]] = []
        """Models (and their answer sets) that reported masked rules past the detailed ones."""
        self.decides: dict[str, bool] = {}
        """Which thermal rules can decide (``consistency_proofs.thermal_walk``)."""
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

    def wants_sample(self) -> bool:
        """Is there room for one more witness answer set?"""
        return len(self.witnesses) < self.budget

    def sample(self, model: Any) -> None:
        if len(self.witnesses) < self.budget:
            self.witnesses.append(self.m.answers(model))

    # -- the properties -------------------------------------------------------------------

    def run(self) -> list[Check]:
        consistency_proofs.thermal_walk(self)
        consistency_proofs.dead_rules(self)
        consistency_proofs.thermal_decisions(self)
        consistency_proofs.escalation(self)
        consistency_proofs.monotonicity(self)
        consistency_proofs.invariants(self)
        safety_proofs.gated_advice(self)
        safety_proofs.conflicts(self)
        safety_proofs.interview_soundness(self)
        self.engine_agreement()
        return self.checks

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
    """Prove ``guidance`` and print the report in ``fmt`` (text, json, github); 0 when all hold, else 1.

    For a guidance built in memory (tests, hosts); the command line goes
    through the same reporter table (``kneeguide.reporters``).
    """
    from .reporters import render

    report = verify(guidance)
    out.write(render("verify", fmt, report, guidance))
    return 0 if report.ok else 1
