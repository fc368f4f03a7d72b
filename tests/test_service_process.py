"""``kneeguide serve`` as a real process on a loopback port, spoken to with a real HTTP client."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kneeguide.guidance import Guidance
from service_support import KNEEGUIDE, Server, cds_request, cds_validator, response_for, searchset, serving
from test_vignettes import BASELINE, VIGNETTES

pytestmark = pytest.mark.slow

EMERGENCY = {**BASELINE, "chest_pain_or_breathless": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def is_problem(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    return [e["field"] for e in response.json().get("errors", [])]


def test_assess_equals_the_python_api_for_every_vignette(http: httpx.Client, guidance: Guidance) -> None:
    for case in VIGNETTES:
        answers = {**BASELINE, **case["answers"]}
        response = http.post("/assess", json=answers)
        assert response.status_code == 200, (case["id"], response.text)
        assert response.json() == guidance.assess(answers).model_dump(mode="json"), case["id"]
        assert response.headers["kneeguide-guidance-digest"] == guidance.digest


def test_assess_equals_the_command_line(http: httpx.Client, tmp_path: Path) -> None:
    answers = {**BASELINE, **VIGNETTES[0]["answers"]}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), "utf-8")
    printed = subprocess.run(
        [str(KNEEGUIDE), "assess", "--answers", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert http.post("/assess", json=answers).json() == json.loads(printed)


def test_cds_hooks_round_trip_for_an_emergency(http: httpx.Client, guidance: Guidance) -> None:
    discovery = http.get("/cds-services").json()
    cds_validator("discovery").validate(discovery)
    service = discovery["services"][0]
    body = cds_request(searchset(response_for(EMERGENCY, guidance)))
    response = http.post(f"/cds-services/{service['id']}", json=body)
    assert response.status_code == 200
    cds_validator("response").validate(response.json())
    (card,) = response.json()["cards"]
    assert card["indicator"] == "critical"
    notes = {rf.id: rf.clinician_note for rf in guidance.red_flags}
    fired = guidance.assess(EMERGENCY).red_flags
    assert fired and all(notes[rf.id] in card["detail"] for rf in fired)
    assert http.post(f"/cds-services/{service['id']}", json=cds_request(searchset())).json() == {"cards": []}


def test_ten_megabytes_are_refused(http: httpx.Client) -> None:
    big = b'{"padding": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    assert is_problem(
        http.post("/assess", content=big, headers={"content-type": "application/json"}), 413
    ) == ["(body)"]

    def streamed() -> Iterator[bytes]:  # chunked, no Content-Length: refused while it streams
        for _ in range(160):
            yield b" " * 65536

    response = http.post("/assess", content=streamed(), headers={"content-type": "application/json"})
    assert is_problem(response, 413) == ["(body)"]
    assert http.get("/healthz").status_code == 200


def test_hostile_bodies_get_problem_details(http: httpx.Client) -> None:
    as_json = {"content-type": "application/json"}
    assert is_problem(http.post("/assess", content=b'{"age_years": 4', headers=as_json), 400) == ["(body)"]
    assert is_problem(http.post("/assess", content=b"[" * 10000, headers=as_json), 400) == ["(body)"]
    wrong = {**BASELINE, "age_years": "forty", "fever": 1, "muscle": ["calf"], "extra": None}
    assert set(is_problem(http.post("/assess", json=wrong), 422)) == {"age_years", "fever", "muscle", "extra"}
    text = {"content-type": "text/plain"}
    assert is_problem(http.post("/assess", content=json.dumps(BASELINE), headers=text), 415) == [
        "Content-Type"
    ]
    assert is_problem(http.get("/questions", params={"locale": "xx"}), 400) == ["locale"]


def test_access_log_is_json_lines_with_request_ids(server: Server, http: httpx.Client) -> None:
    response = http.get("/healthz")
    request_id = response.headers["kneeguide-request-id"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = server.log_lines()  # every line must parse as JSON
        mine = [line for line in lines if line.get("request_id") == request_id]
        if mine:
            break
        time.sleep(0.05)
    (entry,) = mine
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)
    assert entry["duration_ms"] >= 0 and entry["logger"] == "kneeguide.service.access"


def test_sigterm_lets_a_request_in_flight_finish_and_exits_0(tmp_path: Path) -> None:
    body = json.dumps(BASELINE).encode()
    half = len(body) // 2
    with serving(tmp_path) as running:
        port = int(running.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            head = (
                f"POST /assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            conn.sendall(head + body[:half])
            time.sleep(0.3)
            running.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert running.process.poll() is None, "the server quit with a request in flight"
            conn.sendall(body[half:])
            reply = _read_all(conn)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert running.process.wait(30) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{running.url}/healthz", timeout=2)


def test_two_workers_serve_and_shut_down_cleanly(tmp_path: Path, guidance: Guidance) -> None:
    with serving(tmp_path, "--workers", "2") as running:
        with httpx.Client(base_url=running.url, timeout=10) as client:
            for _ in range(20):
                assert client.post("/assess", json=BASELINE).json()["guidance"]["digest"] == guidance.digest
        assert running.stop() == 0


@pytest.mark.parametrize(
    "args",
    [["--guidance", "/nonexistent/folder"], ["--workers", "0"], ["--max-body", "-5"], ["--port", "99999"]],
    ids=["missing-guidance", "no-workers", "negative-body", "bad-port"],
)
def test_bad_usage_exits_2_without_a_traceback(args: list[str]) -> None:
    done = subprocess.run([str(KNEEGUIDE), "serve", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout


def test_a_port_in_use_exits_2(server: Server) -> None:
    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run(
        [str(KNEEGUIDE), "serve", "--port", port], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "could not start" in done.stderr and "Traceback" not in done.stderr + done.stdout


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
