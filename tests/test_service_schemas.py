"""The published API schemas (``schemas/api/``): fresh, right, and what the OpenAPI document embeds.

The committed files are read from disk and compared with what the running
service describes, so neither the files nor the document can drift from the
generator, nor from each other.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from kneeguide.guidance import Guidance
from kneeguide.schemas import SCHEMA_BASE, generate_api
from kneeguide.service.app import create_app
from test_service import component
from test_vignettes import BASELINE, VIGNETTES

REPO = Path(__file__).resolve().parents[1]
API = REPO / "schemas" / "api"
NAMES = ("answers", "partial-answers", "assessment", "interview")


def published(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((API / f"{name}.schema.json").read_text("utf-8"))
    return schema


@functools.cache
def validator(name: str) -> Draft202012Validator:
    schema = published(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture(scope="module")
def client(guidance: Guidance) -> TestClient:
    return TestClient(create_app(guidance))


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def test_api_schemas_are_fresh() -> None:
    """The committed API schemas equal, byte for byte, those generated from the questions and models."""
    generated = generate_api()
    committed = {f"api/{p.name}": p.read_text("utf-8") for p in API.glob("*.schema.json")}
    assert sorted(generated) == sorted(f"api/{n}.schema.json" for n in NAMES)
    assert committed == generated, (
        "API schemas out of date. Regenerate them with: kneeguide schemas --write schemas"
    )


def _as_component(node: Any) -> Any:
    """A published schema's node as it must appear in the OpenAPI document."""
    if isinstance(node, dict):
        return {
            k: (f"#/components/schemas/{v.removeprefix('#/$defs/')}" if k == "$ref" else _as_component(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_as_component(v) for v in node]
    return node


@pytest.mark.parametrize("name", NAMES)
def test_openapi_components_equal_the_published_files(name: str, openapi: dict[str, Any]) -> None:
    """Each committed file is one component (named by its title), its $defs the components it refers to."""
    schema = published(name)
    components = openapi["components"]["schemas"]
    body = {k: v for k, v in schema.items() if k not in ("$id", "$schema", "$defs")}
    embedded = components[schema["title"]]
    assert embedded["externalDocs"]["url"] == schema["$id"]
    assert {k: v for k, v in embedded.items() if k != "externalDocs"} == _as_component(body)
    for part, sub in schema.get("$defs", {}).items():
        assert {k: v for k, v in components[part].items() if k != "externalDocs"} == _as_component(sub)


def test_every_published_schema_is_used_by_an_endpoint(openapi: dict[str, Any]) -> None:
    def schema_of(content: dict[str, Any]) -> str:
        ref: str = content["application/json"]["schema"]["$ref"]
        return ref.rsplit("/", 1)[1]

    bodies = {
        path: schema_of(op["post"]["requestBody"]["content"])
        for path, op in openapi["paths"].items()
        if "post" in op
    }
    answers = {
        path: schema_of(op["post"]["responses"]["200"]["content"])
        for path, op in openapi["paths"].items()
        if "post" in op
    }
    assert bodies["/assess"] == "Answers" and answers["/assess"] == "Assessment"
    assert bodies["/interview"] == "PartialAnswers" and answers["/interview"] == "Interview"
    ids = {c["externalDocs"]["url"] for c in openapi["components"]["schemas"].values() if "externalDocs" in c}
    assert ids == {f"{SCHEMA_BASE}api/{n}.schema.json" for n in NAMES}


def test_published_schemas_accept_every_vignette_and_its_assessment(guidance: Guidance) -> None:
    answers_v, partial_v, assessment_v = (validator(n) for n in ("answers", "partial-answers", "assessment"))
    for case in VIGNETTES:
        answers = {**BASELINE, **case["answers"]}
        answers_v.validate(answers)
        partial_v.validate(case["answers"])
        assessment_v.validate(guidance.assess(answers).model_dump(mode="json"))


@pytest.mark.parametrize(
    "change",
    [{"fever": "yes"}, {"age_years": 121}, {"age_years": 4.5}, {"muscle": "knee"}, {"shoe_size": 9}],
    ids=str,
)
def test_answers_schemas_refuse_what_assess_and_interview_refuse(
    change: dict[str, Any], guidance: Guidance
) -> None:
    answers = {**BASELINE, **change}
    assert not validator("answers").is_valid(answers)
    assert not validator("partial-answers").is_valid(change)
    with pytest.raises(ValueError):
        guidance.assess(answers)
    with pytest.raises(ValueError):
        guidance.interview(change)


def test_a_missing_answer_is_refused_by_the_answer_set_only(guidance: Guidance) -> None:
    partial = {k: v for k, v in BASELINE.items() if k != "age_years"}
    assert not validator("answers").is_valid(partial)
    validator("partial-answers").validate(partial)
    assert guidance.interview(partial).status in ("needs_answers", "emergency")


@pytest.mark.parametrize("case", VIGNETTES[:: max(1, len(VIGNETTES) // 10)], ids=lambda c: c["id"])
def test_a_whole_interview_over_http_matches_the_published_schema(
    case: dict[str, Any], client: TestClient, guidance: Guidance, openapi: dict[str, Any]
) -> None:
    """Answer next_questions[0] until settled; every step is valid, the end is what assess says."""
    full = {**BASELINE, **case["answers"]}
    interview_v, in_openapi = validator("interview"), component(openapi, "Interview")
    answers: dict[str, object] = {}
    while True:
        response = client.post("/interview", json=answers)
        assert response.status_code == 200, response.text
        step = response.json()
        interview_v.validate(step)
        in_openapi.validate(step)
        if step["status"] != "needs_answers":
            break
        qid = step["next_questions"][0]["id"]
        assert qid not in answers
        answers[qid] = full.get(qid, False)
    final = guidance.assess(full)
    assert step["assessment"]["urgency"] == final.urgency
    if step["status"] == "complete":
        completed = {**{q.id: False for q in guidance.questions if not q.required}, **full}
        assert step["assessment"] == guidance.assess(completed).model_dump(mode="json")


def test_the_interview_schema_ties_the_assessment_to_the_status(guidance: Guidance) -> None:
    interview_v = validator("interview")
    completed = {**{q.id: False for q in guidance.questions if not q.required}, **BASELINE}
    settled = guidance.interview(completed).model_dump(mode="json")
    open_step = guidance.interview({}).model_dump(mode="json")
    assert settled["status"] == "complete" and open_step["status"] == "needs_answers"
    interview_v.validate(settled)
    interview_v.validate(open_step)
    assert not interview_v.is_valid({**settled, "assessment": None})
    assert not interview_v.is_valid({**settled, "next_questions": open_step["next_questions"]})
    assert not interview_v.is_valid({**open_step, "assessment": settled["assessment"]})
    assert not interview_v.is_valid({**open_step, "next_questions": []})
