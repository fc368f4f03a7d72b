"""What the service tests share: QuestionnaireResponses, CDS Hooks requests, a real server process,
and a FHIR server stub on a loopback port that records every request it gets.

QuestionnaireResponses are built from the exported FHIR Bundle's
Questionnaire (its item types and answer codings), the way a FHIR form
filler builds them, not from the code under test.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from kneeguide.guidance import Guidance

HERE = Path(__file__).parent
KNEEGUIDE = Path(sys.executable).parent / "kneeguide"


_QUESTIONNAIRES: dict[int, tuple[Guidance, dict[str, Any]]] = {}


def exported_questionnaire(guidance: Guidance) -> dict[str, Any]:
    """The Questionnaire of ``guidance``'s Bundle, built once per guidance (a Bundle takes 0.1 s).

    The guidance is kept with it, so its id cannot be reused by another while the
    entry lives.  Each caller gets its own copy to change.
    """
    from kneeguide_exporters.fhir import build_bundle

    kept = _QUESTIONNAIRES.get(id(guidance))
    if kept is None:
        entries = build_bundle(guidance)["entry"]
        found = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Questionnaire")
        kept = _QUESTIONNAIRES[id(guidance)] = (guidance, found)
    return copy.deepcopy(kept[1])


def response_for(
    answers: Mapping[str, object], guidance: Guidance, *, authored: str = "2024-05-01T10:00:00Z", **extra: Any
) -> dict[str, Any]:
    """A completed QuestionnaireResponse holding ``answers``, as a form filler writes it."""
    questionnaire = exported_questionnaire(guidance)
    items = {item["linkId"]: item for item in questionnaire["item"]}
    out = []
    for qid, value in answers.items():
        item = items[qid]
        if item["type"] == "boolean":
            answer: dict[str, Any] = {"valueBoolean": value}
        elif item["type"] == "integer":
            answer = {"valueInteger": value}
        else:
            coding = next(o["valueCoding"] for o in item["answerOption"] if o["valueCoding"]["code"] == value)
            answer = {"valueCoding": {"system": coding["system"], "code": coding["code"]}}
        out.append({"linkId": qid, "text": item["text"], "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "qr-1",
        "status": "completed",
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "subject": {"reference": "Patient/p-1"},
        "authored": authored,
        "item": out,
        **extra,
    }


def cds_request(prefetch: object = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "p-1"},
        **fields,
    }
    if prefetch is not None:
        body["prefetch"] = {"questionnaireResponse": prefetch}
    return body


def searchset(*resources: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


@functools.cache
def cds_validator(name: str) -> Draft202012Validator:
    """A validator for the CDS Hooks 2.0 shapes in ``cds_hooks/`` (written from the specification).

    Built once per shape: checking the schema itself takes longer than a response.
    """
    schema = json.loads((HERE / "cds_hooks" / f"{name}.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines() if line.strip()]

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code once the server has shut down."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@contextmanager
def serving(tmp: Path, *args: str, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """``kneeguide serve`` as a real process on a free loopback port, until the block ends.

    ``env`` adds to the environment; without it, no ``KNEEGUIDE_FHIR_SERVERS`` is inherited.
    """
    port = free_port()
    log = tmp / f"serve-{port}.log"
    base = {k: v for k, v in os.environ.items() if k != "KNEEGUIDE_FHIR_SERVERS"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(KNEEGUIDE), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**base, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,  # its own process group: its workers are stopped with it
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        # A graceful stop first, as an operator's would; then nothing of the group is left
        # (a killed supervisor would leave its workers serving the port).
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


TOKEN = "secret-token"
"""The bearer token the FHIR stub wants."""


@dataclass
class FhirStub:
    """A FHIR search on a loopback port: wants ``TOKEN``, answers ``bundle``, records each request."""

    bundle: dict[str, Any]
    status: int = 200
    seen: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def auth(self, token: str = TOKEN) -> dict[str, Any]:
        """A CDS Hooks ``fhirAuthorization`` for this stub."""
        return {"access_token": token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read"}


@contextmanager
def fhir_stub(bundle: dict[str, Any]) -> Iterator[FhirStub]:
    """A ``FhirStub`` serving until the block ends."""
    stub = FhirStub(bundle)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            authorization = self.headers.get("Authorization")
            stub.seen.append(
                {"path": self.path, "authorization": authorization, "host": self.headers["Host"]}
            )
            if authorization != f"Bearer {TOKEN}":
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(stub.bundle).encode()
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
