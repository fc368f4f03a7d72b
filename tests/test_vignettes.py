"""Clinical vignettes: cases written from the sources, run against the engine.

Each vignette in ``vignettes/*.yaml`` is a person's answers (over the baseline
in ``vignettes/baseline.yaml``) and what the sources say should happen.
Besides running them, the tests check the set of vignettes itself: enough of
them, each grounded in a cited source, and together touching every red flag,
every thermal rule and every tailoring condition.

Expectations: ``urgency``, ``red_flags`` (exactly), ``thermal`` and
optionally ``thermal_rule``; ``relief_include`` / ``relief_exclude`` and the
same for ``prevention``; ``relief_exact`` / ``prevention_exact`` for the
exact list of step ids (``[]`` for none).  Whatever a vignette says, an
emergency result must carry no steps and no ice or heat, and a result for a
person the guide is not written for no steps and no ice or heat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kneeguide.conditions import Const
from kneeguide.guidance import Guidance
from yaml_data import load_data

HERE = Path(__file__).parent / "vignettes"
BASELINE: dict[str, Any] = load_data(HERE / "baseline.yaml")["baseline"]


def _load() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(HERE.glob("*.yaml")):
        if path.name == "baseline.yaml":
            continue
        for case in load_data(path)["vignettes"]:
            case["file"] = path.name
            cases.append(case)
    return cases


VIGNETTES = _load()


@pytest.mark.parametrize("case", VIGNETTES, ids=[c["id"] for c in VIGNETTES])
def test_vignette(case: dict[str, Any], guidance: Guidance) -> None:
    a = guidance.assess({**BASELINE, **case["answers"]})
    expect = case["expect"]
    assert a.urgency == expect["urgency"]
    assert sorted(rf.id for rf in a.red_flags) == sorted(expect["red_flags"])
    assert a.thermal.advice == expect["thermal"]
    if "thermal_rule" in expect:
        assert a.thermal.rule == expect["thermal_rule"]
    for kind in ("relief", "prevention"):
        given = [s.id for s in getattr(a, kind)]
        chosen = set(given)
        missing = set(expect.get(f"{kind}_include", [])) - chosen
        unwanted = set(expect.get(f"{kind}_exclude", [])) & chosen
        assert not missing, f"{kind} steps missing: {sorted(missing)}"
        assert not unwanted, f"{kind} steps that must not be given: {sorted(unwanted)}"
        if f"{kind}_exact" in expect:
            assert given == expect[f"{kind}_exact"], f"{kind} steps: {given}"
    scope = {rf.id for rf in guidance.red_flags if rf.out_of_scope}
    if a.urgency == "emergency" or any(rf.id in scope for rf in a.red_flags):
        assert not a.relief and not a.prevention, "self-care steps beside an emergency or a scope exclusion"
        assert a.thermal.advice == "none"


EXPECT_KEYS = {
    "urgency",
    "red_flags",
    "thermal",
    "thermal_rule",
    *(f"{kind}_{how}" for kind in ("relief", "prevention") for how in ("include", "exclude", "exact")),
}


@pytest.mark.parametrize("case", VIGNETTES, ids=[c["id"] for c in VIGNETTES])
def test_vignette_expectations_are_known(case: dict[str, Any]) -> None:
    """A misspelt expectation would be silently ignored, so it is refused."""
    assert set(case["expect"]) <= EXPECT_KEYS, sorted(set(case["expect"]) - EXPECT_KEYS)
    assert {"urgency", "red_flags", "thermal"} <= set(case["expect"])


def test_baseline_is_a_complete_answer_set(guidance: Guidance) -> None:
    assert guidance.engine.check(BASELINE) == []


def test_vignette_ids_are_unique_and_sourced(guidance: Guidance) -> None:
    ids = [c["id"] for c in VIGNETTES]
    assert len(ids) == len(set(ids))
    assert len(VIGNETTES) >= 100
    for case in VIGNETTES:
        assert case["source"] in guidance.sources, f"{case['id']} cites unknown source {case['source']!r}"
        assert case["description"]


def test_vignettes_cover_every_rule(guidance: Guidance) -> None:
    flags = {rf for c in VIGNETTES for rf in c["expect"]["red_flags"]}
    assert flags == {rf.id for rf in guidance.red_flags}, "red flags without a vignette"
    rules = {c["expect"].get("thermal_rule") for c in VIGNETTES}
    assert {r.id for r in guidance.thermal_rules} <= rules, "thermal rules without a vignette"
    for kind, steps in (("relief", guidance.relief), ("prevention", guidance.prevention)):
        included = {s for c in VIGNETTES for s in c["expect"].get(f"{kind}_include", [])}
        excluded = {s for c in VIGNETTES for s in c["expect"].get(f"{kind}_exclude", [])}
        assert {s.id for s in steps} <= included, f"{kind} steps never expected in a vignette"
        conditional = {s.id for s in steps if guidance.conditions[s.id] != Const(True)}
        assert conditional <= excluded, f"tailored {kind} steps never shown to be left out"


def test_every_emergency_flag_has_an_emergency_vignette_with_no_steps(guidance: Guidance) -> None:
    """Each emergency red flag is shown, in some vignette, to come with nothing but what to do now."""
    emergencies = {rf.id for rf in guidance.red_flags if rf.urgency == "emergency"}
    shown = {
        rf
        for c in VIGNETTES
        if c["expect"]["urgency"] == "emergency"
        and c["expect"].get("relief_exact") == []
        and c["expect"].get("prevention_exact") == []
        for rf in c["expect"]["red_flags"]
    }
    assert emergencies <= shown, f"emergency flags without a no-steps vignette: {sorted(emergencies - shown)}"


def test_every_scope_exclusion_has_a_vignette_with_no_steps(guidance: Guidance) -> None:
    scope = {rf.id for rf in guidance.red_flags if rf.out_of_scope}
    shown = {
        rf
        for c in VIGNETTES
        if c["expect"].get("relief_exact") == [] and c["expect"].get("prevention_exact") == []
        for rf in c["expect"]["red_flags"]
    }
    assert scope, "the guidance declares no scope exclusion"
    assert scope <= shown, f"scope exclusions without a no-steps vignette: {sorted(scope - shown)}"


URGENCY_WORDS = {"emergency": "now", "urgent": "today", "soon": "within a few days"}
"""The plain words each urgency level's advice must use, so it cannot be read as 'it can wait'."""


def test_red_flag_advice_uses_plain_urgency_words(guidance: Guidance) -> None:
    for rf in guidance.red_flags:
        assert URGENCY_WORDS[rf.urgency] in rf.advice, (
            f"{rf.id}: {rf.urgency} advice must say {URGENCY_WORDS[rf.urgency]!r}"
        )
        assert "within hours" not in rf.advice, f"{rf.id}: 'within hours' reads as 'it can wait'"
        if rf.out_of_scope:
            assert "this guide is not for" in rf.advice.lower(), (
                f"{rf.id}: a scope exclusion must say so plainly"
            )
