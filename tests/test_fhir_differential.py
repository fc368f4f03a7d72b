"""The exported PlanDefinition selects exactly what the Python engine selects.

Hypothesis draws complete answer sets (optional questions answered or left
out) and incomplete ones; the test turns each into a ``QuestionnaireResponse``
built from the exported ``Questionnaire``, evaluates every action's
applicability condition by its FHIRPath form in fhirpath.js (HL7's reference
engine, R4 model, one process that answers a response per line), and
compares the actions that fire with ``Guidance.assess``: the red flags, the
one thermal rule, the relief and the prevention steps.  Each condition must
also give exactly one boolean, never empty, so engines that treat empty
differently still agree.  fhirpathpy, a second, independent engine, runs the
same forms on a few fixed responses (it takes seconds for each): a
self-care vignette, a blank required answer, and a certain emergency beside
the gate.

fhirpathpy accepts some text that is not FHIRPath (an unclosed parenthesis,
``==``), so every expression is also checked here to be balanced and to use
only the subset of contracts.md section 4.  Content ids and choice codes are
quoted by the renderer; a hand-built tree of hostile strings shows they
cannot break out of their string literals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kneeguide
from fhir_support import Json, expected_actions, questionnaire_response, selected_by_tree
from kneeguide.conditions import And, Compare, Condition, Flag, Not, OneOf, Or
from kneeguide.renderers import to_fhirpath
from kneeguide_exporters import fhir
from strategies import answer_sets
from test_fhir_engines import BESIDE_GATE, CASES, INCOMPLETE, serving

R4 = models["r4"]
GUIDANCE = kneeguide.load()
BUNDLE: Json = json.loads(fhir.render(GUIDANCE)[f"{GUIDANCE.id}.fhir.json"])
PLAN: Json = next(e["resource"] for e in BUNDLE["entry"] if e["resource"]["resourceType"] == "PlanDefinition")
QUESTIONNAIRE: Json = next(
    e["resource"] for e in BUNDLE["entry"] if e["resource"]["resourceType"] == "Questionnaire"
)
ALTERNATIVE = "http://hl7.org/fhir/StructureDefinition/cqf-alternativeExpression"


def fhirpath_of(condition: Json) -> str:
    """The condition's FHIRPath form, from its ``cqf-alternativeExpression``."""
    assert condition["kind"] == "applicability"
    (alt,) = [e["valueExpression"] for e in condition["expression"]["extension"] if e["url"] == ALTERNATIVE]
    assert alt["language"] == "text/fhirpath"
    text: str = alt["expression"]
    return text


def _conditions() -> list[tuple[str, Json]]:
    out = []
    for action in PLAN["action"]:
        out += [(action["id"], c) for c in action.get("condition", [])]
        for leaf in action.get("action", []):
            out += [(leaf["id"], c) for c in leaf["condition"]]
    return out


CONDITIONS = _conditions()
COMPILED: dict[str, Callable[..., list[Any]]] = {}
"""fhirpathpy's compiled forms, made when first asked for: compiling takes seconds, and
every worker imports this module whether or not it runs its tests."""


def fired_actions(qr: Json) -> set[tuple[str | None, str]]:
    """The actions $apply selects by the FHIRPath forms; each condition must be exactly one boolean."""
    values: dict[str, bool] = {}

    def holds(condition: Json) -> bool:
        text = fhirpath_of(condition)
        if text not in values:
            if text not in COMPILED:
                COMPILED[text] = compile_fhirpath(text, R4)
            result = COMPILED[text](qr, {"resource": qr})
            assert result in ([True], [False]), f"{text[:80]} gave {result!r}, not one boolean"
            values[text] = result == [True]
        return values[text]

    return selected_by_tree(PLAN, holds)


@pytest.fixture(scope="module")
def fhirpath_js() -> Iterator[Callable[[Json], Json]]:
    """fhirpath.js's result for one response: {"actions": [[group, id]...], "nulls": [...]}."""
    with serving(BUNDLE, ["fhirpath"]) as ask:
        yield lambda qr: ask(qr)["fhirpath"]


def _fired_in_js(fhirpath_js: Callable[[Json], Json], answers: dict[str, Any]) -> set[tuple[str | None, str]]:
    result = fhirpath_js(questionnaire_response(QUESTIONNAIRE, answers))
    assert result["nulls"] == [], f"conditions that are not one boolean: {result['nulls']}"
    return {(group, action) for group, action in result["actions"]}


@pytest.mark.engines
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets(GUIDANCE))
def test_fhirpath_fires_exactly_the_actions_the_engine_selects(
    fhirpath_js: Callable[[Json], Json], answers: dict[str, Any]
) -> None:
    fired = _fired_in_js(fhirpath_js, answers)
    assert fired == expected_actions(GUIDANCE, answers)
    assert len([a for g, a in fired if g == "thermal"]) == 1


@pytest.mark.engines
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets(GUIDANCE), st.data())
def test_fhirpath_fires_the_gate_and_what_is_certain_on_incomplete_answers(
    fhirpath_js: Callable[[Json], Json], answers: dict[str, Any], data: st.DataObject
) -> None:
    required = sorted(q.id for q in GUIDANCE.questions if q.required)
    dropped = data.draw(st.sets(st.sampled_from(required), min_size=1, max_size=6))
    partial = {k: v for k, v in answers.items() if k not in dropped}
    assert _fired_in_js(fhirpath_js, partial) == expected_actions(GUIDANCE, partial)


SECOND_ENGINE = {
    "a self-care vignette": CASES[0][1],
    "a blank required answer": dict(INCOMPLETE)["blank pain score"],
    "a certain emergency beside the gate": CASES[min(BESIDE_GATE)][1],
}


@pytest.mark.engines
@pytest.mark.parametrize("answers", SECOND_ENGINE.values(), ids=SECOND_ENGINE.keys())
def test_fhirpathpy_fires_what_the_engine_selects(answers: dict[str, Any]) -> None:
    fired = fired_actions(questionnaire_response(QUESTIONNAIRE, answers))
    assert fired == expected_actions(GUIDANCE, answers)


def test_the_second_engine_sees_self_care_the_gate_and_an_emergency() -> None:
    """The fixed responses are what their names say, whatever the vignettes become."""
    fired = [expected_actions(GUIDANCE, answers) for answers in SECOND_ENGINE.values()]
    relief = [any(g == "relief" for g, _ in f) for f in fired]
    gated = [(None, "answers_incomplete") in f for f in fired]
    emergency = {rf.id for rf in GUIDANCE.red_flags if rf.urgency == "emergency"}
    assert relief == [True, False, False] and gated == [False, True, True]
    assert {a for g, a in fired[2] if g == "red_flags"} & emergency


def test_every_rule_is_an_executable_action() -> None:
    leaves = [leaf["id"] for a in PLAN["action"] for leaf in a.get("action", [a])]
    assert leaves == ["answers_incomplete", *(rule.id for rule in GUIDANCE.rules())]


def test_the_questionnaire_response_is_valid_r4() -> None:
    schema = json.loads((Path(__file__).parent / "fhir" / "fhir.schema.json").read_text(encoding="utf-8"))
    answers = {
        q.id: _some_answer(q.type, q.minimum, [c.code for c in q.choices or ()]) for q in GUIDANCE.questions
    }
    qr = questionnaire_response(QUESTIONNAIRE, answers)
    assert len(qr["item"]) == len(GUIDANCE.questions)
    assert list(jsonschema.Draft6Validator(schema).iter_errors(qr)) == []


def _some_answer(kind: str, minimum: int | None, choices: list[str]) -> object:
    return {"boolean": True, "integer": minimum or 0}.get(kind, choices[0] if choices else None)


# --- every expression is well formed FHIRPath of the contract's subset ------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>\d+)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[().])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
ALLOWED_NAMES = {
    "item",
    "where",
    "linkId",
    "answer",
    "value",
    "code",
    "exists",
    "not",
    "and",
    "or",
    "true",
    "false",
    "count",
    "is",
    "integer",
    "system",
}


def fhirpath_problems(expression: str) -> list[str]:
    """Why ``expression`` is not balanced FHIRPath of the contract's subset (empty when it is)."""
    problems = []
    depth = 0
    pos = 0
    while pos < len(expression):
        m = _TOKEN.match(expression, pos)
        if m is None:
            rest = expression[pos : pos + 20]
            problems.append(f"at {pos}: cannot read {rest!r} (an unclosed string or a stray character)")
            break
        kind, text = m.lastgroup, m.group()
        if kind == "punct" and text == "(":
            depth += 1
        elif kind == "punct" and text == ")":
            depth -= 1
            if depth < 0:
                problems.append(f"at {pos}: ')' closes nothing")
                depth = 0
        elif kind == "ident" and text not in ALLOWED_NAMES:
            problems.append(f"at {pos}: {text!r} is outside the contract's FHIRPath subset")
        elif kind == "op" and expression.startswith("==", pos):
            problems.append(f"at {pos}: '==' is not FHIRPath (equality is '=')")
        pos = m.end()
    if depth > 0:
        problems.append(f"{depth} unclosed '('")
    return problems


def test_every_exported_expression_is_balanced_and_in_the_subset() -> None:
    for action_id, condition in CONDITIONS:
        assert fhirpath_problems(fhirpath_of(condition)) == [], action_id


@pytest.mark.parametrize(
    "text",
    [
        "(item.where(linkId='a').answer.exists()",
        "item.where(linkId='a')).answer.exists()",
        "item.where(linkId='a).answer.exists()",
        "item.where(linkId='a\\').answer.exists()",
        "item.where(linkId='a').answer.value == 3",
        "item.where(linkId='a').answer.value.ofType(Quantity) > 3",
    ],
)
def test_the_expression_check_catches_what_fhirpathpy_lets_through(text: str) -> None:
    assert fhirpath_problems(text)


# --- hostile ids and codes cannot change an expression ------------------------------------

HOSTILE_ID = "q') or true or ('"
HOSTILE_CODES = ("x' or '1'='1", "a)b]c(", 'say "hi"', "for/ward'", "new\nline\t`")


def _qr(items: dict[str, Json]) -> Json:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": k, "answer": [v]} for k, v in items.items()],
    }


def _evaluate(tree: Condition, qr: Json) -> list[Any]:
    expression = to_fhirpath(tree)
    assert fhirpath_problems(expression) == []
    result: list[Any] = compile_fhirpath(expression, R4)(qr, {"resource": qr})
    return result


def _coding(code: str) -> Json:
    return {"valueCoding": {"system": "urn:example", "code": code}}


def test_a_backslash_is_refused_not_escaped() -> None:
    """FHIRPath lexers can read an escaped backslash two ways; the renderer refuses it."""
    with pytest.raises(ValueError, match="backslash"):
        to_fhirpath(OneOf("q", ("back\\slash",)))
    with pytest.raises(ValueError, match="backslash"):
        to_fhirpath(Flag("q\\"))


@pytest.mark.parametrize("code", HOSTILE_CODES)
def test_a_hostile_choice_code_matches_itself_and_nothing_else(code: str) -> None:
    tree = OneOf(HOSTILE_ID, (code,))
    assert _evaluate(tree, _qr({HOSTILE_ID: _coding(code)})) == [True]
    for other in ("x", "1", "", *(c for c in HOSTILE_CODES if c != code)):
        assert _evaluate(tree, _qr({HOSTILE_ID: _coding(other)})) == [False], other
    assert _evaluate(tree, _qr({"q": _coding(code)})) == [False]
    assert _evaluate(tree, _qr({})) == [False]


def test_hostile_ids_in_a_compound_tree_keep_their_meaning() -> None:
    flag_id, number_id = "a' or 'b", "n') and (true"
    tree = And((Flag(flag_id), Or((Compare(number_id, ">=", 5), Not(OneOf(HOSTILE_ID, HOSTILE_CODES[:2]))))))
    yes, no = {"valueBoolean": True}, {"valueBoolean": False}
    cases = [
        ({flag_id: yes, number_id: {"valueInteger": 5}}, True),
        ({flag_id: yes, number_id: {"valueInteger": 4}, HOSTILE_ID: _coding(HOSTILE_CODES[0])}, False),
        ({flag_id: yes, number_id: {"valueInteger": 4}, HOSTILE_ID: _coding("z")}, True),
        ({flag_id: no, number_id: {"valueInteger": 9}}, False),
        ({"a": yes, "b": yes, number_id: {"valueInteger": 9}}, False),
    ]
    for items, expected in cases:
        assert _evaluate(tree, _qr(items)) == [expected], items


def test_an_unanswered_question_reads_as_no_even_under_not() -> None:
    """The engine reads a missing optional answer as false; FHIRPath must not give empty."""
    assert _evaluate(Not(Flag("sedentary")), _qr({})) == [True]
    assert _evaluate(Not(Or((Flag("sedentary"), Compare("n", "<", 3)))), _qr({})) == [True]
    assert _evaluate(Compare("n", "==", 3), _qr({"n": {"valueInteger": 3}})) == [True]
