"""CDS Hooks 2.0 in process: discovery, cards for clinicians, prefetch and FHIR server reads.

Responses are checked against CDS Hooks 2.0 shapes written from the
specification (``cds_hooks/``); CarePlans against the official FHIR R4 schema.
The FHIR server is a real HTTP server on a loopback port.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from starlette.testclient import TestClient

from kneeguide.guidance import Guidance
from kneeguide.responses import questionnaire_url
from kneeguide.service.app import create_app
from service_support import HERE, cds_request, cds_validator, response_for, searchset
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
    assert cards(client, cds_request()) == []
    assert cards(client, {**cds_request(), "prefetch": {"questionnaireResponse": None}}) == []


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


# --- reading from the EHR's FHIR server ------------------------------------------------


class FhirServer(BaseHTTPRequestHandler):
    """A FHIR search endpoint that wants one bearer token and records what it was asked."""

    bundle: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_GET(self) -> None:
        FhirServer.seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        if self.headers.get("Authorization") != "Bearer secret-token":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps(FhirServer.bundle).encode()
        self.send_response(FhirServer.status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fhir_server(guidance: Guidance) -> Iterator[str]:
    FhirServer.bundle = searchset(response_for(EMERGENCY, guidance))
    FhirServer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FhirServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()


def test_without_prefetch_the_response_is_read_from_the_fhir_server(
    fhir_server: str, client: TestClient, guidance: Guidance
) -> None:
    auth = {
        "access_token": "secret-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
    }
    (card,) = cards(client, cds_request(fhirServer=fhir_server, fhirAuthorization=auth))
    assert card["indicator"] == "critical"
    (asked,) = FhirServer.seen
    assert asked["authorization"] == "Bearer secret-token"
    url = urlsplit(asked["path"])
    assert url.path == "/fhir/QuestionnaireResponse"
    assert parse_qs(url.query)["patient"] == ["p-1"]
    assert parse_qs(url.query)["questionnaire"] == [questionnaire_url(guidance)]


def test_a_failing_fhir_server_is_a_502_problem(fhir_server: str, client: TestClient) -> None:
    auth = {"access_token": "wrong", "token_type": "Bearer"}
    response = client.post(URL, json=cds_request(fhirServer=fhir_server, fhirAuthorization=auth))
    assert response.status_code == 502
    assert "401" in response.json()["detail"]


def test_prefetch_wins_over_the_fhir_server(fhir_server: str, client: TestClient, guidance: Guidance) -> None:
    auth = {"access_token": "secret-token", "token_type": "Bearer"}
    body = cds_request(
        searchset(response_for(BASELINE, guidance)), fhirServer=fhir_server, fhirAuthorization=auth
    )
    (card,) = cards(client, body)
    assert card["indicator"] == "info" and FhirServer.seen == []
