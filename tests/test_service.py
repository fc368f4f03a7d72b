"""The HTTP service in process (Starlette's TestClient): endpoints, problems, OpenAPI, schemas."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from kneeguide.engine import Engine
from kneeguide.guidance import Guidance
from kneeguide.service.app import create_app
from test_vignettes import BASELINE, VIGNETTES

DIGEST_HEADER = "kneeguide-guidance-digest"


@pytest.fixture(scope="module")
def client(guidance: Guidance) -> TestClient:
    return TestClient(create_app(guidance, max_body=64 * 1024), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def component(openapi: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for one OpenAPI component schema, resolving its references in the document."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(openapi, DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def problem(response: Any, status: int) -> dict[str, str]:
    """The fields named by a problem response, after checking it is one."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    assert "Traceback" not in response.text
    return {e["field"]: e["message"] for e in body.get("errors", [])}


# --- endpoints ----------------------------------------------------------------------


@pytest.mark.parametrize("case", VIGNETTES[:: max(1, len(VIGNETTES) // 8)], ids=lambda c: c["id"])
def test_assess_is_the_python_api(case: dict[str, Any], client: TestClient, guidance: Guidance) -> None:
    answers = {**BASELINE, **case["answers"]}
    response = client.post("/assess", json=answers)
    assert response.status_code == 200
    assert response.json() == guidance.assess(answers).model_dump(mode="json")
    assert response.headers[DIGEST_HEADER] == guidance.digest


def test_questions_in_ask_order_with_everything_an_app_shows(client: TestClient, guidance: Guidance) -> None:
    body = client.get("/questions").json()
    assert body["locale"] == "en-GB"
    asked = guidance.data["questions.yaml"]["ask_order"]  # as the content file lists them
    assert [q["id"] for q in body["questions"]] == asked
    by_id = {q.id: q for q in guidance.questions}
    for shown, q in zip(body["questions"], [by_id[qid] for qid in asked], strict=True):
        assert (shown["type"], shown["text"], shown["help"], shown["required"]) == (
            q.type,
            q.text,
            q.help,
            q.required,
        )
        if q.type == "integer":
            assert (shown["minimum"], shown["maximum"]) == (q.minimum, q.maximum)
        if q.type == "choice":
            assert [c["code"] for c in shown["choices"]] == [c.code for c in q.choices or ()]


def test_guidance_names_version_digest_review_and_sources(client: TestClient, guidance: Guidance) -> None:
    body = client.get("/guidance").json()
    meta = guidance.metadata
    assert (body["id"], body["version"], body["digest"]) == (guidance.id, guidance.version, guidance.digest)
    assert body["intended_use"] == meta.intended_use
    assert body["next_review_due"] == meta.next_review_due.isoformat()
    assert body["last_review_date"] == meta.last_review_date.isoformat()
    assert [s["id"] for s in body["sources"]] == list(guidance.sources)


def test_every_response_matches_its_openapi_schema(client: TestClient, openapi: dict[str, Any]) -> None:
    for path, name in [
        ("/questions", "Questions"),
        ("/guidance", "GuidanceInfo"),
        ("/healthz", "Health"),
        ("/cds-services", "CdsDiscovery"),
    ]:
        component(openapi, name).validate(client.get(path).json())
    assessed = client.post("/assess", json=BASELINE).json()
    component(openapi, "Assessment").validate(assessed)
    component(openapi, "Problem").validate(client.post("/assess", json={"fever": "yes"}).json())


def test_locale(client: TestClient) -> None:
    assert client.get("/questions", params={"locale": "en-GB"}).status_code == 200
    assert client.get("/questions", params={"locale": "en-gb"}).json()["locale"] == "en-GB"
    assert "locale" in problem(client.get("/questions", params={"locale": "fr-FR"}), 400)
    assert "locale" in problem(client.post("/assess?locale=de", json=BASELINE), 400)
    assert set(problem(client.get("/guidance?locale=en-GB&locale=fr&debug=1"), 400)) == {"locale", "debug"}


# --- bad input ----------------------------------------------------------------------


def test_answers_refused_naming_every_field(client: TestClient) -> None:
    answers = {
        **BASELINE,
        "age_years": "40",
        "fever": "yes",
        "muscle": "knee",
        "pain_score": 11,
        "shoe_size": 9,
    }
    del answers["trigger"]
    named = problem(client.post("/assess", json=answers), 422)
    assert set(named) == {"age_years", "fever", "muscle", "pain_score", "shoe_size", "trigger"}
    assert named["shoe_size"] == "unknown question id"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"answers"', b"null", b"42"])
def test_answers_must_be_an_object(body: bytes, client: TestClient) -> None:
    named = problem(client.post("/assess", content=body, headers={"content-type": "application/json"}), 422)
    assert list(named) == ["(answers)"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"age_years": 40,',
        b"",
        b"   ",
        b'{"age_years": NaN}',
        b'{"fever": true, "fever": false}',
        b"\xff\xfe{}",
        b"[" * 50 + b"]" * 50,
    ],
    ids=["truncated", "empty", "blank", "nan", "duplicate-key", "not-utf8", "deep"],
)
def test_malformed_json(body: bytes, client: TestClient) -> None:
    named = problem(client.post("/assess", content=body, headers={"content-type": "application/json"}), 400)
    assert list(named) == ["(body)"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_wrong_content_type(content_type: str | None, client: TestClient) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/assess", content=json.dumps(BASELINE).encode(), headers=headers)
    assert list(problem(response, 415)) == ["Content-Type"]


def test_json_with_charset_utf8_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/assess",
        content=json.dumps(BASELINE).encode(),
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200


def test_body_over_the_limit_by_content_length_and_while_streaming(guidance: Guidance) -> None:
    small = TestClient(create_app(guidance, max_body=1000))
    body = json.dumps({**BASELINE, "padding": "x" * 2000}).encode()
    assert list(
        problem(small.post("/assess", content=body, headers={"content-type": "application/json"}), 413)
    ) == ["(body)"]

    def chunks() -> Any:  # no Content-Length: the limit holds while the body streams in
        for _ in range(100):
            yield b" " * 100

    response = small.post("/assess", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert list(problem(response, 413)) == ["(body)"]


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    assert list(problem(client.get("/nowhere"), 404)) == ["path"]
    assert list(problem(client.get("/assess"), 405)) == ["method"]
    assert list(problem(client.delete("/questions"), 405)) == ["method"]


def test_an_unexpected_error_is_logged_with_an_id_and_answered_with_only_that(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Engine, answers: object) -> Any:
        raise RuntimeError("secret internal state")

    monkeypatch.setattr(Engine, "assess", broken)
    with caplog.at_level(logging.ERROR, logger="kneeguide.service.error"):
        response = client.post("/assess", json=BASELINE)
    problem(response, 500)
    body = response.json()
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["error_id"] == response.headers["kneeguide-request-id"]
    logged = [r for r in caplog.records if r.name == "kneeguide.service.error"]
    assert logged and logged[0].fields["request_id"] == body["error_id"]  # type: ignore[attr-defined]
    assert logged[0].exc_info and "secret internal state" in str(logged[0].exc_info[1])


# --- OpenAPI and published schemas --------------------------------------------------------


def test_openapi_is_valid_3_1(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1")
    validate_openapi(openapi)


def test_interview_endpoint_stops_at_an_emergency(client: TestClient, openapi: dict[str, Any]) -> None:
    r = client.post("/interview", json={"chest_pain_or_breathless": True})
    assert r.status_code == 200
    assert r.json()["status"] == "emergency"
    component(openapi, "Interview").validate(r.json())
    assert set(problem(client.post("/interview", json={"pain_score": "high", "fever": 1}), 422)) == {
        "pain_score",
        "fever",
    }
