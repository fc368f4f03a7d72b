"""Reading answers back from a FHIR QuestionnaireResponse: exact, strict, never guessing."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from kneeguide.engine import AnswersError
from kneeguide.guidance import Guidance
from kneeguide.responses import answers_from_response, questionnaire_url
from service_support import HERE, exported_questionnaire, response_for
from test_vignettes import BASELINE, VIGNETTES


def fields(exc: pytest.ExceptionInfo[AnswersError]) -> dict[str, str]:
    return {p.field: p.message for p in exc.value.problems}


def test_the_questionnaire_is_the_exported_one(guidance: Guidance) -> None:
    assert questionnaire_url(guidance) == exported_questionnaire(guidance)["url"]


@pytest.mark.parametrize("case", VIGNETTES, ids=[c["id"] for c in VIGNETTES])
def test_every_vignette_round_trips(case: dict[str, Any], guidance: Guidance) -> None:
    answers = {**BASELINE, **case["answers"]}
    assert answers_from_response(response_for(answers, guidance), guidance) == answers


def test_the_test_responses_are_valid_fhir_r4(guidance: Guidance) -> None:
    schema = json.loads((HERE / "fhir" / "fhir.schema.json").read_text("utf-8"))
    own = {"definitions": schema["definitions"], "$ref": "#/definitions/QuestionnaireResponse"}
    jsonschema.Draft6Validator(own).validate(response_for(BASELINE, guidance))


def test_unanswered_items_are_left_out_for_assess_to_refuse(guidance: Guidance) -> None:
    qr = response_for(BASELINE, guidance)
    qr["item"][0].pop("answer")
    qr["item"][1]["answer"] = []
    answers = answers_from_response(qr, guidance)
    assert set(BASELINE) - set(answers) == {qr["item"][0]["linkId"], qr["item"][1]["linkId"]}
    with pytest.raises(AnswersError) as exc:
        guidance.assess(answers)
    assert all(m.startswith("missing") for m in fields(exc).values())


def test_display_items_and_extensions_are_ignored(guidance: Guidance) -> None:
    qr = response_for(BASELINE, guidance)
    qr["item"].append({"linkId": "age_years.help", "text": "Give your age in whole years."})
    qr["item"][0]["answer"][0]["extension"] = [{"url": "https://example.org/x", "valueString": "y"}]
    assert answers_from_response(qr, guidance) == BASELINE


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Patient", "id": "p"},
        {"item": []},
        ["a", "list"],
    ],
)
def test_refuses_what_is_not_a_questionnaire_response(resource: Any, guidance: Guidance) -> None:
    with pytest.raises(AnswersError) as exc:
        answers_from_response(resource, guidance)
    assert list(fields(exc)) == ["resourceType"]


def test_refuses_a_response_to_another_questionnaire(guidance: Guidance) -> None:
    qr = response_for(BASELINE, guidance, questionnaire="https://example.org/Questionnaire/phq-9|1")
    with pytest.raises(AnswersError) as exc:
        answers_from_response(qr, guidance)
    assert list(fields(exc)) == ["questionnaire"]


def test_names_every_bad_item_at_once(guidance: Guidance) -> None:
    qr = response_for(BASELINE, guidance)
    items = {item["linkId"]: item for item in qr["item"]}
    items["fever"]["answer"] = [{"valueString": "yes"}]
    items["age_years"]["answer"] = [{"valueInteger": 40}, {"valueInteger": 41}]
    items["pain_score"]["answer"] = [{"valueInteger": True}]
    items["bruising"]["answer"] = [{"valueBoolean": "false"}]
    items["muscle"]["answer"][0]["valueCoding"]["system"] = "http://snomed.info/sct"
    items["trigger"]["answer"] = [{"valueCoding": {"display": "exercise"}}]
    items["dark_urine"]["answer"] = [{"valueBoolean": True, "valueInteger": 1}]
    items["pregnant"]["modifierExtension"] = [{"url": "https://example.org/negated", "valueBoolean": True}]
    qr["item"].append({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]})
    qr["item"].append(copy.deepcopy(items["has_diabetes"]))
    with pytest.raises(AnswersError) as exc:
        answers_from_response(qr, guidance)
    problems = fields(exc)
    assert set(problems) == {
        "fever",
        "age_years",
        "pain_score",
        "bruising",
        "muscle",
        "trigger",
        "dark_urine",
        "pregnant",
        "shoe_size",
        "has_diabetes",
    }
    assert "valueBoolean" in problems["fever"] and "valueString" in problems["fever"]
    assert "2 answers" in problems["age_years"]
    assert "unknown question" in problems["shoe_size"]
    assert "more than once" in problems["has_diabetes"]
    assert "snomed" in problems["muscle"]


def test_refuses_items_that_are_not_a_list(guidance: Guidance) -> None:
    qr = response_for(BASELINE, guidance)
    qr["item"] = {"linkId": "fever"}
    with pytest.raises(AnswersError) as exc:
        answers_from_response(qr, guidance)
    assert list(fields(exc)) == ["item"]
