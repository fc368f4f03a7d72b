"""The FHIR servers a CDS Hooks call may make the service search: only those its operator allows.

The service runs as a real ``kneeguide serve`` process and the FHIR servers
are stubs on loopback ports that record every request: an allowed server is
searched, and a server not allowed, or a URL that only looks like an
allowed one, is never contacted.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from kneeguide.guidance import Guidance
from kneeguide.service.app import create_app
from kneeguide.service.fhir_access import FhirServers, split_entries
from service_support import (
    KNEEGUIDE,
    FhirStub,
    cds_request,
    cds_validator,
    fhir_stub,
    response_for,
    searchset,
    serving,
)
from test_vignettes import BASELINE

URL = "/cds-services/knee-muscle-spasm"
EMERGENCY = {**BASELINE, "chest_pain_or_breathless": True}

# --- the matching rule ----------------------------------------------------------------

ENTRY = "https://ehr.example.org/fhir"


@pytest.mark.parametrize(
    "url",
    [
        "https://ehr.example.org/fhir",
        "https://ehr.example.org/fhir/",
        "https://ehr.example.org/fhir/r4",
        "https://EHR.Example.ORG/fhir",
        "HTTPS://ehr.example.org/fhir",
        "https://ehr.example.org:443/fhir",
        "https://ehr.example.org./fhir",
    ],
)
def test_an_allowed_server(url: str) -> None:
    assert FhirServers([ENTRY]).refusal(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://ehr.example.org/fhir",  # the token would cross in the clear
        "https://ehr.example.org:8443/fhir",
        "https://ehr.example.org/fhir-test",
        "https://ehr.example.org/FHIR",
        "https://ehr.example.org/",
        "https://ehr.example.org",
        "https://ehr.example.org.evil.net/fhir",
        "https://evil.net/ehr.example.org/fhir",
        "https://ehr.example.org@evil.net/fhir",
        "https://user:pw@ehr.example.org/fhir",
        "https://ehr.example.org/fhir/../admin",
        "https://ehr.example.org/fhir/%2e%2e/admin",
        "https://ehr.example.org/fhir%2F..%2Fadmin",
        "https://ehr.example.org/fhir//r4",
        "https://ehr.example.org/fhir\\..\\admin",
        "https://ehr.example.org/fhir?x=1",
        "https://ehr.example.org/fhir#r4",
        "https://ehr.example.org /fhir",
        "https://ehr.example.org:0/fhir",
        "https://ehr.example.org:99999/fhir",
        "https://\u0435\u0445\u0440.example.org/fhir",  # Cyrillic letters that look like "ehr"
        "ftp://ehr.example.org/fhir",
        "//ehr.example.org/fhir",
        "ehr.example.org/fhir",
    ],
)
def test_a_server_not_allowed(url: str) -> None:
    refusal = FhirServers([ENTRY]).refusal(url)
    assert refusal and "Traceback" not in refusal


def test_nothing_is_allowed_by_default() -> None:
    assert FhirServers().refusal(ENTRY) == (
        "this service calls no FHIR server (none is allowed): send the prefetch"
    )
    assert FhirServers.configured(None, None).entries() == []
    assert FhirServers.configured([], "  ,, ").entries() == []


def test_entries_are_normalised_and_the_command_line_replaces_the_environment() -> None:
    servers = FhirServers.configured(None, "HTTPS://EHR.example.org:443/fhir/, http://127.0.0.1:8080/r4\n")
    assert servers.entries() == ["https://ehr.example.org/fhir", "http://127.0.0.1:8080/r4"]
    assert split_entries("a b,c\t,d") == ["a", "b", "c", "d"]
    assert FhirServers.configured(["https://other.org"], ENTRY).entries() == ["https://other.org/"]
    assert FhirServers(["http://[::1]:8080/fhir"]).refusal("http://[::1]:8080/fhir/r4") is None


def test_bad_entries_are_refused_each_named() -> None:
    with pytest.raises(ValueError) as caught:
        FhirServers(["https://u:p@ehr.example.org/fhir", ENTRY, "ftp://x.org", "https://x.org/a?b=1"])
    message = str(caught.value)
    for bad in ("u:p@", "ftp://x.org", "a?b=1"):
        assert bad in message
    assert "'https://ehr.example.org/fhir'" not in message


# --- in process: the default allows nothing ----------------------------------------------


@pytest.fixture
def stub(guidance: Guidance) -> Iterator[FhirStub]:
    with fhir_stub(searchset(response_for(EMERGENCY, guidance))) as running:
        yield running


def test_by_default_a_fhir_server_is_never_called(stub: FhirStub, guidance: Guidance) -> None:
    client = TestClient(create_app(guidance))
    response = client.post(URL, json=cds_request(fhirServer=stub.base, fhirAuthorization=stub.auth()))
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "none is allowed" in errors["fhirServer"]
    assert "prefetch.questionnaireResponse" in errors
    assert stub.seen == []


def test_user_information_in_the_request_is_a_bad_request(stub: FhirStub, guidance: Guidance) -> None:
    client = TestClient(create_app(guidance, fhir_servers=FhirServers([stub.base])))
    server = stub.base.replace("http://", "http://admin:pw@")
    response = client.post(URL, json=cds_request(fhirServer=server, fhirAuthorization=stub.auth()))
    assert response.status_code == 400
    assert "user information" in {e["field"]: e["message"] for e in response.json()["errors"]}["fhirServer"]
    assert stub.seen == []


# --- a real service process --------------------------------------------------------------


def call(server_url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(server_url + URL, json=body, timeout=15)


def test_only_the_allowed_server_is_contacted(tmp_path: Path, guidance: Guidance) -> None:
    bundle = searchset(response_for(EMERGENCY, guidance))
    with (
        fhir_stub(bundle) as allowed,
        fhir_stub(bundle) as other,
        serving(tmp_path, "--fhir-server", allowed.base) as server,
    ):
        ok = call(server.url, cds_request(fhirServer=allowed.base, fhirAuthorization=allowed.auth()))
        assert ok.status_code == 200, ok.text
        cds_validator("response").validate(ok.json())
        assert ok.json()["cards"][0]["indicator"] == "critical"
        (asked,) = allowed.seen
        assert asked["path"].startswith("/fhir/QuestionnaireResponse?")
        tricks = [
            (other.base, 412),
            (f"http://localhost:{allowed.port}/fhir", 412),  # the same server by another name
            (f"http://127.0.0.1:{allowed.port}/fhir-other", 412),
            (f"http://127.0.0.1:{allowed.port}/", 412),
            (f"https://127.0.0.1:{allowed.port}/fhir", 412),
            (f"http://127.0.0.1:{allowed.port}/fhir/../admin", 400),
            (f"http://127.0.0.1:{allowed.port}/fhir/%2e%2e/admin", 400),
            (f"http://x@127.0.0.1:{allowed.port}/fhir", 400),
            (f"http://127.0.0.1:{allowed.port}@127.0.0.1:{other.port}/fhir", 400),
        ]
        for url, status in tricks:
            response = call(server.url, cds_request(fhirServer=url, fhirAuthorization=allowed.auth()))
            assert response.status_code == status, (url, response.text)
            assert "fhirServer" in {e["field"] for e in response.json()["errors"]}, url
        assert len(allowed.seen) == 1 and other.seen == []


def test_without_an_allow_list_the_process_contacts_nothing(tmp_path: Path, stub: FhirStub) -> None:
    with serving(tmp_path) as server:
        response = call(server.url, cds_request(fhirServer=stub.base, fhirAuthorization=stub.auth()))
        assert response.status_code == 412
    assert stub.seen == []


def test_the_environment_allows_servers_for_every_worker(tmp_path: Path, guidance: Guidance) -> None:
    bundle = searchset(response_for(EMERGENCY, guidance))
    with fhir_stub(bundle) as first, fhir_stub(bundle) as second:
        env = {"KNEEGUIDE_FHIR_SERVERS": f"{first.base}, https://ehr.example.org/fhir"}
        with serving(tmp_path, "--workers", "2", env=env) as server:
            for _ in range(4):  # whichever worker answers
                body = cds_request(fhirServer=first.base, fhirAuthorization=first.auth())
                assert call(server.url, body).status_code == 200
            body = cds_request(fhirServer=second.base, fhirAuthorization=second.auth())
            assert call(server.url, body).status_code == 412
        # --fhir-server replaces the environment's list
        with serving(tmp_path, "--fhir-server", second.base, env=env) as server:
            body = cds_request(fhirServer=first.base, fhirAuthorization=first.auth())
            assert call(server.url, body).status_code == 412
            body = cds_request(fhirServer=second.base, fhirAuthorization=second.auth())
            assert call(server.url, body).status_code == 200
    assert len(first.seen) == 4 and len(second.seen) == 1


@pytest.mark.parametrize(
    "args", [["--fhir-server", "https://u:p@ehr.example.org/fhir"], ["--fhir-server", "ehr.example.org"]]
)
def test_a_bad_allow_list_entry_exits_2_naming_it(args: list[str]) -> None:
    done = subprocess.run([str(KNEEGUIDE), "serve", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert args[1] in done.stderr and "--fhir-server" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
