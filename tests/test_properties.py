"""Hypothesis property tests of the engine on the shipped content.

Answer sets come from ``strategies.answer_sets``, derived from the question
definitions and biased to every threshold a condition uses.  ``kneeguide
verify`` proves these properties for every answer set; sampling here checks
the engine itself, independently of the solver's encoding.  Counterexamples
that were ever found are pinned with ``@example``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import kneeguide
from kneeguide.guidance import Guidance
from kneeguide.models import ITEM_LISTS, URGENCIES
from kneeguide.verifier import monotone_questions
from strategies import answer_sets, holds

SHIPPED = kneeguide.load()
ANSWERS = answer_sets(SHIPPED)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE: dict[str, Any] = {
    q.id: (False if q.type == "boolean" else q.minimum if q.type == "integer" else (q.choices or [])[0].code)
    for q in SHIPPED.questions
    if q.required
}
"""A plain answer set: every yes/no is no, every number at its minimum."""

CALF_CRAMP = {
    **BASE,
    "age_years": 40,
    "muscle": "calf",
    "trigger": "exercise",
    "pain_score": 6,
    "episode_minutes": 2,
}
INJURY_AT_72_HOURS = {**CALF_CRAMP, "trigger": "injury", "hours_since_onset": 72, "visible_swelling": True}
CHRONIC_WARM_UP_WITH_BRUISE = {
    **CALF_CRAMP,
    "chronic_knee_condition": True,
    "about_to_exercise": True,
    "bruising": True,
}
COLD_LEG_AND_CLOT = {**CALF_CRAMP, "leg_cold_pale_or_blue": True, "one_calf_swollen": True}


def rank(urgency: str) -> int:
    return URGENCIES.index(urgency)


@SETTINGS
@given(ANSWERS)
@example(CALF_CRAMP)
@example(INJURY_AT_72_HOURS)
@example(CHRONIC_WARM_UP_WITH_BRUISE)
def test_every_valid_answer_set_gives_one_valid_assessment(answers: dict[str, Any]) -> None:
    a = SHIPPED.assess(answers)
    data = a.model_dump(mode="json")
    assert type(a).model_validate(data) == a
    assert a.thermal.advice in ("ice", "heat", "none")
    assert a.urgency in URGENCIES
    for item in (*a.red_flags, *a.relief, *a.prevention):
        assert item.sources


@SETTINGS
@given(ANSWERS)
@example(CHRONIC_WARM_UP_WITH_BRUISE)
@example(COLD_LEG_AND_CLOT)
def test_exactly_one_thermal_rule_decides_and_never_ice_and_heat(answers: dict[str, Any]) -> None:
    a = SHIPPED.assess(answers)
    applying = [r for r in SHIPPED.thermal_by_priority() if holds(SHIPPED.conditions[r.id], answers)]
    assert applying, "some thermal rule applies"
    top = applying[0].priority
    deciding = [r for r in applying if r.priority == top]
    assert [r.id for r in deciding] == [a.thermal.rule]
    chosen = [e for e in a.trace if e.kind == "thermal" and e.fired]
    assert [e.rule for e in chosen] == [a.thermal.rule]
    assert {a.thermal.advice} != {"ice", "heat"} and len({a.thermal.advice}) == 1


@SETTINGS
@given(ANSWERS)
@example(COLD_LEG_AND_CLOT)
def test_urgency_is_the_highest_fired_red_flag(answers: dict[str, Any]) -> None:
    a = SHIPPED.assess(answers)
    fired = [rf for rf in SHIPPED.red_flags if holds(SHIPPED.conditions[rf.id], answers)]
    assert [rf.id for rf in a.red_flags] == [rf.id for rf in fired]
    assert a.urgency == max((rf.urgency for rf in fired), key=rank, default="self_care")
    if fired:
        assert a.urgency != "self_care"


def test_the_monotone_questions_are_the_ones_the_content_orders() -> None:
    """The questions whose content says which way is worse; never time since onset, age or a choice."""
    chosen = set(monotone_questions(SHIPPED))
    directed = {q.id for q in SHIPPED.questions if q.direction in ("yes", "higher")}
    assert chosen == directed
    assert not chosen & {"hours_since_onset", "age_years", "muscle", "trigger"}
    unordered = [q for q in SHIPPED.questions if q.type != "choice" and q.direction == "none"]
    assert all(q.worsens_note for q in unordered), "a question without a direction must say why"


@SETTINGS
@given(ANSWERS, st.data())
@example(CALF_CRAMP, None)
@example(INJURY_AT_72_HOURS, None)
def test_raising_a_monotone_answer_never_lowers_urgency(answers: dict[str, Any], data: Any) -> None:
    before = rank(SHIPPED.assess(answers).urgency)
    specs = {q.id: q for q in SHIPPED.questions}
    for qid in monotone_questions(SHIPPED):
        q = specs[qid]
        raised = dict(answers)
        if q.type == "boolean":
            if answers.get(qid, False):
                continue
            raised[qid] = True
        else:
            top = q.maximum if q.maximum is not None else answers[qid]
            if answers[qid] >= top:
                continue
            raised[qid] = top if data is None else data.draw(st.integers(answers[qid] + 1, top), label=qid)
        assert rank(SHIPPED.assess(raised).urgency) >= before, f"raising {qid} lowered the urgency"


@SETTINGS
@given(ANSWERS)
@example(INJURY_AT_72_HOURS)
@example(CHRONIC_WARM_UP_WITH_BRUISE)
@example(COLD_LEG_AND_CLOT)
def test_every_declared_invariant_holds(answers: dict[str, Any]) -> None:
    a = SHIPPED.assess(answers)
    fired = {rf.id for rf in a.red_flags}
    for inv in SHIPPED.invariants:
        if not holds(SHIPPED.conditions[inv.id], answers):
            continue
        then = inv.then
        if then.urgency_at_least is not None:
            assert rank(a.urgency) >= rank(then.urgency_at_least), inv.id
        if then.thermal_in:
            assert a.thermal.advice in then.thermal_in, inv.id
        assert a.thermal.advice not in (then.thermal_not or ()), inv.id
        assert set(then.red_flags_include or ()) <= fired, inv.id


# --- independence from the order of the files -----------------------------------------


def shuffle_folder(folder: Path, rng: random.Random) -> None:
    """Shuffle every list of items in a content copy (and each question's choices)."""
    yaml = YAML()
    for fname, key in ITEM_LISTS.items():
        path = folder / fname
        data = yaml.load(path.read_text("utf-8"))
        rng.shuffle(data[key])
        for item in data[key]:
            if item.get("choices"):
                rng.shuffle(item["choices"])
        with path.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)


def decisions(a: Any) -> dict[str, Any]:
    """An assessment without the order of its lists (file order is presentation only)."""
    return {
        "urgency": a.urgency,
        "red_flags": sorted(r.model_dump_json() for r in a.red_flags),
        "thermal": a.thermal.model_dump(),
        "relief": sorted(s.model_dump_json() for s in a.relief),
        "prevention": sorted(s.model_dump_json() for s in a.prevention),
        "trace": sorted(e.model_dump_json() for e in a.trace),
        "disclaimer": a.disclaimer,
    }


def test_result_does_not_depend_on_rule_order(guidance: Guidance, content_copy: Path) -> None:
    shuffle_folder(content_copy, random.Random(4))
    shuffled = kneeguide.load(content_copy)
    assert [r.id for r in shuffled.thermal_rules] != [r.id for r in guidance.thermal_rules]

    @SETTINGS
    @given(answer_sets(guidance))
    @example(CHRONIC_WARM_UP_WITH_BRUISE)
    @example(COLD_LEG_AND_CLOT)
    def same(answers: dict[str, Any]) -> None:
        assert decisions(shuffled.assess(answers)) == decisions(guidance.assess(answers))

    same()
