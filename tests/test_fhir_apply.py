"""``kneeguide apply`` and ``kneeguide export fhir --fhir-bundle transaction`` on the command line.

The engines test (test_fhir_engines.py) compares what ``apply`` selects with
Encender; here: the command's files and exit codes, the transaction Bundle a
FHIR server takes, and format options refused when a plugin declares them badly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_support import GATE, questionnaire_response
from kneeguide.guidance import Guidance
from kneeguide.hookspecs import ExportFormat
from kneeguide.plugins import _formats_of
from kneeguide_exporters import fhir
from test_fhir import _schema, schema_errors

BASELINE = json.loads((Path(__file__).parent / "answers" / "baseline.json").read_text("utf-8"))


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command in this process (a fresh one costs seconds of start-up per call)."""
    import contextlib
    import io

    from kneeguide.cli import main

    out, err = io.StringIO(), io.StringIO()
    real_in = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = real_in
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def _response(guidance: Guidance, answers: dict[str, Any]) -> str:
    return json.dumps(questionnaire_response(fhir.build_questionnaire(guidance), answers))


def _leaves(bundle: dict[str, Any]) -> list[str]:
    group = bundle["entry"][1]["resource"]
    return [leaf["id"] for a in group["action"] for leaf in a.get("action", [a])]


def test_apply_prints_a_transaction_bundle_of_the_assessment(guidance: Guidance) -> None:
    run = _run("apply", "--response", "-", stdin=_response(guidance, BASELINE))
    assert run.returncode == 0, run.stderr
    bundle = json.loads(run.stdout)
    assert bundle["type"] == "transaction"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:2] == ["CarePlan", "RequestGroup"] and set(kinds[2:]) == {"CommunicationRequest"}
    a = guidance.assess(BASELINE)
    expected = [*(r.id for r in a.red_flags), a.thermal.rule, *(s.id for s in (*a.relief, *a.prevention))]
    assert _leaves(bundle) == expected
    assert schema_errors(_schema(), bundle) == []


def test_apply_writes_the_gate_for_a_blank_required_answer(guidance: Guidance, tmp_path: Path) -> None:
    src = tmp_path / "qr.json"
    src.write_text(_response(guidance, {k: v for k, v in BASELINE.items() if k != "pain_score"}), "utf-8")
    run = _run("apply", "--response", str(src), "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    (written,) = (tmp_path / "out").iterdir()
    assert run.stdout.strip() == f"apply: wrote {written}"
    assert _leaves(json.loads(written.read_text("utf-8"))) == [GATE]
    again = _run("apply", "--response", str(src))
    assert json.loads(again.stdout) == json.loads(written.read_text("utf-8"))  # the same bytes each time


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"resourceType": "Patient"}', "expected a QuestionnaireResponse"),
        ("[1, 2]", "must be a JSON object"),
        ('{"resourceType": "QuestionnaireResponse", "item": [{"linkId": "elbow"}]}', "unknown question id"),
    ],
)
def test_apply_refuses_what_it_cannot_read_without_a_traceback(stdin: str, message: str) -> None:
    run = _run("apply", "--response", "-", stdin=stdin)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_export_fhir_bundle_transaction_puts_every_resource(guidance: Guidance, tmp_path: Path) -> None:
    run = _run("export", "fhir", "--fhir-bundle", "transaction", "-o", str(tmp_path))
    assert run.returncode == 0, run.stderr
    bundle = json.loads((tmp_path / f"{guidance.id}.fhir.json").read_text("utf-8"))
    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        res = entry["resource"]
        assert entry["request"] == {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
    collection = json.loads(fhir.render(guidance)[f"{guidance.id}.fhir.json"])
    assert [e["resource"] for e in bundle["entry"]] == [e["resource"] for e in collection["entry"]]
    assert schema_errors(_schema(), bundle) == []


def test_fhir_bundle_needs_the_fhir_format_and_a_known_type(tmp_path: Path) -> None:
    run = _run("export", "html", "--fhir-bundle", "transaction", "-o", str(tmp_path))
    assert run.returncode == 2 and "needs the fhir format" in run.stderr
    run = _run("export", "fhir", "--fhir-bundle", "batch", "-o", str(tmp_path))
    assert run.returncode == 2 and "invalid choice" in run.stderr


@pytest.mark.parametrize(
    "options",
    [{"Bad Name": ("a",)}, {"mode": ()}, {"mode": ("ok", "no\nnewline")}, ["mode"]],
    ids=["name", "no-values", "value", "not-a-mapping"],
)
def test_a_plugin_with_badly_declared_options_is_refused(options: Any) -> None:
    fmt = ExportFormat("csv", "text/csv", lambda g: {}, "", options)
    problem = _formats_of(lambda: [fmt])
    assert isinstance(problem, str) and "option" in problem


def test_declared_options_survive_registration() -> None:
    (fmt,) = _formats_of(fhir.kneeguide_formats)  # type: ignore[misc]
    assert dict(fmt.options) == {"bundle": ("collection", "transaction")}
