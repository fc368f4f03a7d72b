"""The exported PlanDefinition selects exactly what the Python engine selects.

Hypothesis draws complete answer sets (optional questions answered or left
out), the test turns each into a ``QuestionnaireResponse`` built from the
exported ``Questionnaire``, evaluates every action's applicability condition
with fhirpathpy (an independent FHIRPath engine, R4 model), and compares the
actions that fire with ``Guidance.assess``: the red flags, the one thermal
rule, the relief and the prevention steps.  Each condition must also give
exactly one boolean, never empty, so engines that treat empty differently
still agree.

fhirpathpy accepts some text that is not FHIRPath (an unclosed parenthesis,
``==``), so every expression is also checked here to be balanced and to use
only the subset of contracts.md section 4.  Content ids and choice codes are
quoted by the renderer; a hand-built tree of hostile strings shows they
cannot break out of their string literals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models
from hypothesis import HealthCheck, given, settings

import kneeguide
from kneeguide.conditions import And, Compare, Condition, Flag, Not, OneOf, Or
from kneeguide.engine import Assessment
from kneeguide.renderers import to_fhirpath
from kneeguide_exporters import fhir
from strategies import answer_sets

Json = dict[str, Any]
R4 = models["r4"]
GUIDANCE = kneeguide.load()
BUNDLE: Json = json.loads(fhir.render(GUIDANCE)[f"{GUIDANCE.id}.fhir.json"])
PLAN: Json = next(e["resource"] for e in BUNDLE["entry"] if e["resource"]["resourceType"] == "PlanDefinition")
QUESTIONNAIRE: Json = next(
    e["resource"] for e in BUNDLE["entry"] if e["resource"]["resourceType"] == "Questionnaire"
)
KINDS = {a["id"]: a["code"][0]["coding"][0]["code"] for a in PLAN["action"]}


def _compiled() -> dict[str, Callable[..., list[Any]]]:
    out = {}
    for action in PLAN["action"]:
        (condition,) = action["condition"]
        assert condition["kind"] == "applicability"
        assert condition["expression"]["language"] == "text/fhirpath"
        out[action["id"]] = compile_fhirpath(condition["expression"]["expression"], R4)
    return out


CONDITIONS = _compiled()


def questionnaire_response(questionnaire: Json, answers: Mapping[str, object]) -> Json:
    """A completed QuestionnaireResponse holding ``answers``, one item per answered question.

    The answer codings are taken from the Questionnaire's own ``answerOption``
    list, so the test exercises the codings an EHR form would produce.
    """
    items = []
    for item in questionnaire["item"]:
        if item["linkId"] not in answers:
            continue
        value = answers[item["linkId"]]
        if item["type"] == "boolean":
            answer: Json = {"valueBoolean": value}
        elif item["type"] == "integer":
            answer = {"valueInteger": value}
        else:
            (option,) = [o for o in item["answerOption"] if o["valueCoding"]["code"] == value]
            answer = {"valueCoding": option["valueCoding"]}
        items.append({"linkId": item["linkId"], "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "status": "completed",
        "item": items,
    }


def fired_actions(qr: Json) -> set[str]:
    """The ids of the actions whose condition is true; each must be exactly one boolean."""
    fired = set()
    for action_id, condition in CONDITIONS.items():
        result = condition(qr, {"resource": qr})
        assert result in ([True], [False]), f"{action_id} gave {result!r}, not one boolean"
        if result == [True]:
            fired.add(action_id)
    return fired


def selected(assessment: Assessment) -> set[str]:
    return {
        *(rf.id for rf in assessment.red_flags),
        assessment.thermal.rule,
        *(s.id for s in assessment.relief),
        *(s.id for s in assessment.prevention),
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets(GUIDANCE))
def test_fhirpath_fires_exactly_the_actions_the_engine_selects(answers: dict[str, Any]) -> None:
    qr = questionnaire_response(QUESTIONNAIRE, answers)
    fired = fired_actions(qr)
    assert fired == selected(GUIDANCE.assess(answers))
    assert len([a for a in fired if KINDS[a] == "thermal"]) == 1


def test_every_rule_is_an_executable_action() -> None:
    assert list(CONDITIONS) == [rule.id for rule in GUIDANCE.rules()]


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
    for action in PLAN["action"]:
        expression = action["condition"][0]["expression"]["expression"]
        assert fhirpath_problems(expression) == [], action["id"]


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
