"""CDS Hooks 2.0 in process: discovery, cards for clinicians, prefetch and FHIR server reads.

Responses are checked against CDS Hooks 2.0 shapes written from the
specification (``cds_hooks/``); CarePlans against the official FHIR R4 schema.
The FHIR server is a real HTTP server on a loopback port.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from starlette.testclient import TestClient

from kneeguide.guidance import Guidance
from kneeguide.responses import questionnaire_url
from kneeguide.service.app import create_app
from kneeguide.service.fhir_access import FhirServers
from service_support import (
    HERE,
    TOKEN,
    FhirStub,
    cds_request,
    cds_validator,
    fhir_stub,
    response_for,
    searchset,
)
from test_vignettes import BASELINE, VIGNETTES

URL = "/cds-services/knee-muscle-spasm"
EMERGENCY = {**BASELINE, "chest_pain_or_breathless": True, "one_calf_swollen": True}


@pytest.fixture(scope="module")
def client(guidance: Guidance) -> TestClient:
    return TestClient(create_app(guidance))


def cards(client: TestClient, body: object) -> list[dict[str, Any]]:
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    cds_validator("response").validate(response.json())
    found: list[dict[str, Any]] = response.json()["cards"]
    return found


def test_discovery_offers_patient_view_with_a_prefetch_for_our_questionnaire(
    client: TestClient, guidance: Guidance
) -> None:
    body = client.get("/cds-services").json()
    cds_validator("discovery").validate(body)
    (service,) = body["services"]
    assert service["hook"] == "patient-view" and service["id"] == guidance.id
    template = service["prefetch"]["questionnaireResponse"]
    resource, _, query = template.partition("?")
    params = parse_qs(query)
    assert resource == "QuestionnaireResponse"
    assert params["patient"] == ["{{context.patientId}}"]
    assert params["questionnaire"] == [questionnaire_url(guidance)]
    assert params["status"] == ["completed"]


def test_emergency_response_gives_a_critical_card_with_the_clinician_notes(
    client: TestClient, guidance: Guidance
) -> None:
    (card,) = cards(client, cds_request(searchset(response_for(EMERGENCY, guidance))))
    assessment = guidance.assess(EMERGENCY)
    assert assessment.urgency == "emergency"
    assert card["indicator"] == "critical"
    notes = {rf.id: rf.clinician_note for rf in guidance.red_flags}
    for flag in assessment.red_flags:
        assert flag.title in card["summary"] or len(card["summary"]) >= 138
        assert notes[flag.id] in card["detail"]
    cited = {s for rf in assessment.red_flags for s in rf.sources}
    assert {guidance.sources[s].url for s in cited} <= {link["url"] for link in card["links"]}
    (suggestion,) = card["suggestions"]
    (action,) = suggestion["actions"]
    assert action["type"] == "create" and action["resource"]["resourceType"] == "CarePlan"


def test_the_suggested_care_plan_is_valid_fhir_r4(client: TestClient, guidance: Guidance) -> None:
    (card,) = cards(client, cds_request(response_for(EMERGENCY, guidance)))
    plan = card["suggestions"][0]["actions"][0]["resource"]
    schema = json.loads((HERE / "fhir" / "fhir.schema.json").read_text("utf-8"))
    jsonschema.Draft6Validator(
        {"definitions": schema["definitions"], "$ref": "#/definitions/CarePlan"}
    ).validate(plan)
    assert plan["subject"] == {"reference": "Patient/p-1"}
    assert plan["supportingInfo"] == [{"reference": "QuestionnaireResponse/qr-1"}]


@pytest.mark.parametrize("case", VIGNETTES, ids=[c["id"] for c in VIGNETTES])
def test_indicator_follows_urgency(case: dict[str, Any], client: TestClient, guidance: Guidance) -> None:
    answers = {**BASELINE, **case["answers"]}
    (card,) = cards(client, cds_request(response_for(answers, guidance)))
    expected = {"emergency": "critical", "urgent": "warning", "soon": "info", "self_care": "info"}
    assert card["indicator"] == expected[case["expect"]["urgency"]]


def test_the_latest_finished_response_is_used(client: TestClient, guidance: Guidance) -> None:
    old = response_for(EMERGENCY, guidance, authored="2024-01-01T09:00:00+00:00")
    new = response_for(BASELINE, guidance, authored="2024-03-01T09:00:00+01:00")
    draft = response_for(EMERGENCY, guidance, authored="2024-06-01", status="in-progress")
    other = {**response_for(EMERGENCY, guidance, authored="2024-07-01"), "questionnaire": "https://x.org/Q/1"}
    (card,) = cards(client, cds_request(searchset(old, draft, new, other)))
    assert card["indicator"] == "info"


@pytest.mark.parametrize(
    "prefetch",
    [searchset(), {"resourceType": "Bundle", "type": "searchset", "total": 0}],
    ids=["empty-bundle", "no-entries"],
)
def test_no_response_means_no_cards_not_an_error(prefetch: Any, client: TestClient) -> None:
    assert cards(client, cds_request(prefetch)) == []
    assert cards(client, {**cds_request(), "prefetch": {"questionnaireResponse": None}}) == []


@pytest.mark.parametrize("prefetch", [None, {}, {"patient": {"resourceType": "Patient"}}], ids=str)
def test_no_prefetch_and_no_fhir_server_is_412_not_an_empty_answer(prefetch: Any, client: TestClient) -> None:
    """CDS Hooks 2.0: a service that cannot obtain its data answers 412 Precondition Failed."""
    body = {**cds_request(), **({} if prefetch is None else {"prefetch": prefetch})}
    response = client.post(URL, json=body)
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    named = {e["field"] for e in response.json()["errors"]}
    assert named == {"prefetch.questionnaireResponse", "fhirServer"}


def test_cards_are_deterministic(client: TestClient, guidance: Guidance) -> None:
    body = cds_request(response_for(EMERGENCY, guidance))
    assert client.post(URL, json=body).content == client.post(URL, json=body).content


def test_bad_requests_name_every_field(client: TestClient) -> None:
    body = {
        "hook": "order-sign",
        "context": {"userId": 7},
        "fhirAuthorization": {"token_type": "MAC"},
        "user": "x",
    }
    response = client.post(URL, json=body)
    assert response.status_code == 400
    named = {e["field"] for e in response.json()["errors"]}
    assert named == {
        "hook",
        "hookInstance",
        "context.patientId",
        "context.userId",
        "fhirAuthorization.access_token",
        "fhirAuthorization.token_type",
        "fhirServer",
        "user",
    }
    named_messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert named_messages["hookInstance"].startswith("missing")
    body = {"hook": "patient-view", "hookInstance": 5, "context": {"patientId": ""}}
    errors = {e["field"]: e["message"] for e in client.post(URL, json=body).json()["errors"]}
    assert errors == {
        "hookInstance": "expected a string (a UUID), got 5",
        "context.patientId": "expected the patient's FHIR id, got ''",
    }


def test_a_bad_response_is_refused_naming_its_fields(client: TestClient, guidance: Guidance) -> None:
    qr = response_for(EMERGENCY, guidance)
    qr["item"][0]["answer"] = [{"valueString": "forty"}]
    qr["item"].append({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]})
    response = client.post(URL, json=cds_request(qr))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"age_years", "shoe_size"}
    response = client.post(URL, json=cds_request({"resourceType": "OperationOutcome"}))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["prefetch.questionnaireResponse"]


def test_unknown_service(client: TestClient) -> None:
    response = client.post("/cds-services/other", json=cds_request())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# --- reading from the EHR's FHIR server (allow-list: test_service_fhir_access.py) ----


@pytest.fixture
def fhir_server(guidance: Guidance) -> Iterator[tuple[FhirStub, TestClient]]:
    """The FHIR stub, and a service allowed to search it."""
    with fhir_stub(searchset(response_for(EMERGENCY, guidance))) as stub:
        yield stub, TestClient(create_app(guidance, fhir_servers=FhirServers([stub.base])))


def test_without_prefetch_the_response_is_read_from_the_fhir_server(
    fhir_server: tuple[FhirStub, TestClient], guidance: Guidance
) -> None:
    stub, client = fhir_server
    (card,) = cards(client, cds_request(fhirServer=stub.base, fhirAuthorization=stub.auth()))
    assert card["indicator"] == "critical"
    (asked,) = stub.seen
    assert asked["authorization"] == f"Bearer {TOKEN}"
    url = urlsplit(asked["path"])
    assert url.path == "/fhir/QuestionnaireResponse"
    assert parse_qs(url.query)["patient"] == ["p-1"]
    assert parse_qs(url.query)["questionnaire"] == [questionnaire_url(guidance)]


def test_a_failing_fhir_server_is_a_502_problem(fhir_server: tuple[FhirStub, TestClient]) -> None:
    stub, client = fhir_server
    response = client.post(URL, json=cds_request(fhirServer=stub.base, fhirAuthorization=stub.auth("wrong")))
    assert response.status_code == 502
    assert "401" in response.json()["detail"]
    stub.status = 302
    response = client.post(URL, json=cds_request(fhirServer=stub.base, fhirAuthorization=stub.auth()))
    assert response.status_code == 502 and "302" in response.json()["detail"]
    assert len(stub.seen) == 2


def test_prefetch_wins_over_the_fhir_server(
    fhir_server: tuple[FhirStub, TestClient], guidance: Guidance
) -> None:
    stub, client = fhir_server
    for prefetch in (searchset(response_for(BASELINE, guidance)), None):
        body = cds_request(fhirServer=stub.base, fhirAuthorization=stub.auth())
        body["prefetch"] = {"questionnaireResponse": prefetch}
        found = cards(client, body)
        assert (found[0]["indicator"] if found else None) == ("info" if prefetch else None)
    assert stub.seen == []
