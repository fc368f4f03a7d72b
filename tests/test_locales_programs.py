"""The words the programs add, in every locale: the FHIR export, CDS Hooks cards, the terminal interview.

Each output is produced for ``es-US`` and must hold the Spanish UI strings
(``ui.*`` in ``translations/es.yaml``), with no English UI string left; the
default ``en-GB`` outputs keep the words they had before they moved into
``ui.yaml`` (each is spelt out here, as an app reading them sees it).
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kneeguide.cli import main
from kneeguide.guidance import Guidance
from kneeguide.loader import check
from kneeguide.localisation.reading import spanish_grade
from kneeguide.readability import grade
from kneeguide.service.app import create_app
from kneeguide_exporters import fhir
from kneeguide_exporters.fhir_locale import TRANSLATION_EXT
from service_support import cds_request, response_for
from test_vignettes import BASELINE

REPO = Path(__file__).resolve().parents[1]
EMERGENCY = {**BASELINE, "chest_pain_or_breathless": True}
PROGRAM_KEYS = ("fhir.", "cds.", "interview.")
"""The UI strings of the programs that spoke only English before."""


def bundle(g: Guidance) -> dict[str, Any]:
    built: dict[str, Any] = json.loads(fhir.render(g)["knee-muscle-spasm.fhir.json"])
    return built


def resource(b: dict[str, Any], kind: str, rid: str | None = None) -> dict[str, Any]:
    return next(
        e["resource"]
        for e in b["entry"]
        if e["resource"]["resourceType"] == kind and rid in (None, e["resource"]["id"])
    )


def actions(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for a in items:
        yield a
        yield from actions(a.get("action", []))


def strings(node: object) -> Iterator[str]:
    """Every string value in a JSON document but the translations (``_element``) it carries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("_"):
                yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


# --- FHIR -------------------------------------------------------------------------------


def test_fhir_action_kinds_and_titles_are_in_spanish_for_es_us(guidance: Guidance) -> None:
    es = guidance.localized("es-US")
    b = bundle(es)
    kinds = resource(b, "CodeSystem", "kneeguide.action-kind")
    assert kinds["title"] == "Tipos de acción de kneeguide"
    displays = {c["code"]: c["display"] for c in kinds["concept"]}
    assert displays["red_flag"] == "Señal de alarma: una señal que necesita atención médica"
    assert displays == {code: es.words(f"fhir.kind.{code}") for code in displays}
    answers = next(cs for e in b["entry"] if (cs := e["resource"])["resourceType"] == "CodeSystem")
    assert answers["title"].startswith("Respuestas a: ")
    plan = resource(b, "PlanDefinition")
    groups = {a["id"]: a["title"] for a in plan["action"]}
    assert groups["red_flags"] == "Señales de alarma que necesitan atención médica"
    for action in actions(plan["action"]):
        if "textEquivalent" in action:
            assert action["textEquivalent"].startswith(("Si ", "Siempre")), action["id"]
    step = resource(b, "ActivityDefinition", "relief-stretch-calf")
    assert step["purpose"].startswith("Evidencia: ")


def test_no_english_ui_string_is_left_in_the_spanish_bundle(guidance: Guidance) -> None:
    """Every English program word long enough to be a phrase is absent from the es-US Bundle."""
    gb, es = guidance, guidance.localized("es-US")
    text = "\n".join(strings(bundle(es)))
    phrases = [
        gb.ui[k].split("{")[0].strip()
        for k in gb.ui
        if k.startswith("fhir.") and len(gb.ui[k].split("{")[0].split()) >= 3
    ]
    assert len(phrases) >= 20
    left = [p for p in phrases if p in text]
    assert not left, left


def test_fhir_en_us_carries_the_spanish_program_words_as_translations(guidance: Guidance) -> None:
    kinds = resource(bundle(guidance.localized("en-US")), "CodeSystem", "kneeguide.action-kind")
    flag = next(c for c in kinds["concept"] if c["code"] == "red_flag")
    (ext,) = flag["_display"]["extension"]
    assert ext["url"] == TRANSLATION_EXT
    content = next(e["valueString"] for e in ext["extension"] if e["url"] == "content")
    assert flag["display"] == "Red flag: a sign that needs medical care"
    assert content == "Señal de alarma: una señal que necesita atención médica"


def test_fhir_en_gb_keeps_its_words(guidance: Guidance) -> None:
    b = bundle(guidance)
    kinds = resource(b, "CodeSystem", "kneeguide.action-kind")
    assert kinds["title"] == "Kinds of kneeguide action"
    assert [c["display"] for c in kinds["concept"]][-1] == (
        "The answers are incomplete or out of range: answer every question, or get help"
    )
    plan = resource(b, "PlanDefinition")
    gate = plan["action"][0]
    assert gate["title"] == "Answer every question, or get help"
    assert gate["textEquivalent"].startswith(
        "If a required answer is missing, or an answer is given twice or is not one of the allowed "
        "answers: Some answers are missing"
    )
    thermal = next(a for a in plan["action"] if a["id"] == "thermal")["action"]
    assert ", and no rule of higher priority applies: " in thermal[1]["textEquivalent"]
    assert (
        "no thermal rule of higher priority applies ("
        in (thermal[1]["condition"][0]["expression"]["description"])
    )
    assert resource(b, "ActivityDefinition", "relief-stretch-calf")["purpose"].startswith("Evidence: low.")
    assert TRANSLATION_EXT not in json.dumps(b)


def test_apply_names_the_person_in_the_locale(guidance: Guidance) -> None:
    from kneeguide_exporters.fhir.apply import apply

    es = guidance.localized("es-US")
    response = response_for(EMERGENCY, es)
    response.pop("subject", None)
    out = apply(es, response)
    group = next(e["resource"] for e in out["entry"] if e["resource"]["resourceType"] == "RequestGroup")
    assert group["subject"] == {"display": "La persona que contestó"}
    assert group["action"][0]["title"] == "Señales de alarma que necesitan atención médica"


# --- CDS Hooks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(guidance: Guidance) -> TestClient:
    return TestClient(create_app(guidance))


def card(client: TestClient, guidance: Guidance, query: str = "") -> dict[str, Any]:
    body = cds_request(response_for(EMERGENCY, guidance))
    answer = client.post(f"/cds-services/knee-muscle-spasm{query}", json=body)
    assert answer.status_code == 200, answer.text
    (found,) = answer.json()["cards"]
    result: dict[str, Any] = found
    return result


def test_a_cds_card_in_spanish(client: TestClient, guidance: Guidance) -> None:
    es = card(client, guidance, "?locale=es-US")
    assert es["summary"].startswith("Emergencia: Dolor de pecho nuevo o falta de aire")
    assert es["detail"].startswith(
        "**Emergencia: llame a los servicios de emergencia ahora** (respuestas con fecha "
    )
    assert "**Hielo o calor:** " in es["detail"] and "(emergencia): " in es["detail"]
    suggestion = es["suggestions"][0]
    assert suggestion["label"] == "Registrar este plan de autocuidado y de cuándo buscar ayuda"
    plan = suggestion["actions"][0]["resource"]
    assert plan["description"].startswith("Emergencia: llame a los servicios de emergencia ahora. Esta guía")
    listing = client.get("/cds-services?locale=es-US").json()["services"][0]
    assert listing["description"].startswith("Evalúa las últimas respuestas completas del paciente")


def test_a_cds_card_without_a_locale_is_in_the_default(client: TestClient, guidance: Guidance) -> None:
    gb = card(client, guidance)
    assert gb == card(client, guidance, "?locale=en-GB")
    assert gb["summary"].startswith("Emergency: New chest pain")
    assert gb["detail"].startswith(
        "**Emergency: call emergency services now** (answers of 2024-05-01T10:00:00Z)."
    )
    assert "\n**Ice or heat:** none. " in gb["detail"]
    assert gb["suggestions"][0]["label"] == "Record this self-care and escalation plan"
    listing = client.get("/cds-services").json()["services"][0]
    assert listing["description"].startswith("Assesses the patient's latest completed answers")


def test_a_cds_call_in_an_unshipped_locale_is_refused(client: TestClient, guidance: Guidance) -> None:
    answer = client.post(
        "/cds-services/knee-muscle-spasm?locale=fr-FR", json=cds_request(response_for(EMERGENCY, guidance))
    )
    assert answer.status_code == 400 and "fr-FR" in answer.text


# --- the terminal interview ---------------------------------------------------------------


def interactive(
    locale: str, typed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    code = main(["assess", "--interactive", "--locale", locale])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_interview_asks_in_spanish(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = interactive("es-US", "quizás\nno\natrás\nsí\n", monkeypatch, capsys)
    assert code == 0, err
    assert "Pregunta 1 (como máximo " in err and "Pregunta 2 (" in err
    assert "> [sí/no] " in err and "> [sí/no, atrás] " in err
    assert "  conteste sí o no\n" in err and "please" not in err and "Question" not in err
    assert out.startswith("EMERGENCIA: llame al 911 ahora.")


def test_the_interview_in_english_is_unchanged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = interactive("en-GB", "maybe\nno\nback\nyes\n", monkeypatch, capsys)
    assert code == 0, err
    assert "Question 1 (at most " in err and "> [yes/no, back] " in err
    assert "  please answer yes or no\n" in err
    assert out.startswith("EMERGENCY: call 999 now.")


def test_the_interview_s_number_problems_and_end_of_input_in_spanish(
    guidance: Guidance, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kneeguide.interactive import _Words

    es = guidance.localized("es-US")
    words = _Words(es)
    age = next(q for q in es.questions if q.type == "integer")
    assert words.parse(age, "doce") == (None, "escriba un número entero")
    assert words.parse(age, "999")[1] == f"escriba un número del {age.minimum} al {age.maximum}"
    code, _, err = interactive("es-US", "", monkeypatch, capsys)
    assert code == 2 and "la entrada terminó antes de contestar las preguntas que importan" in err


# --- the words read plainly -----------------------------------------------------------------


def test_the_program_words_a_person_reads_are_plain(guidance: Guidance) -> None:
    """The interview's words and the gate's advice: SMOG at most 8 in English, INFLESZ 55 in Spanish."""
    keys = [k for k in guidance.ui if k.startswith("interview.") and not k.endswith("_words")]
    keys += ["fhir.gate_title", "fhir.gate_advice", "fhir.kind.answers_incomplete"]
    english = grade(guidance.words(k) for k in keys)
    assert english.smog <= 8.0, english
    spanish = spanish_grade(guidance.localized("es-US").words(k) for k in keys)
    assert spanish.szigriszt_pazos >= 55.0, spanish


def test_every_program_word_has_a_spanish_translation(guidance: Guidance) -> None:
    es = guidance.localized("es-US")
    keys = [k for k in guidance.ui if k.startswith(PROGRAM_KEYS)]
    assert len(keys) > 60
    same = [
        k for k in keys if es.ui[k] == guidance.ui[k] and re.search("[a-z]", re.sub("{[^}]*}", "", es.ui[k]))
    ]
    assert same == [], same


# --- the locale files' schemas ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema"),
    [("regions.yaml", "regions"), ("ui.yaml", "ui"), ("translations/es.yaml", "translation")],
)
def test_each_locale_file_points_at_its_schema_and_passes_it(
    guidance: Guidance, name: str, schema: str
) -> None:
    from jsonschema import Draft202012Validator

    path = guidance.folder / name
    pointer = path.read_text("utf-8").split("\n", 1)[0]
    target = (path.parent / pointer.split("$schema=", 1)[1]).resolve()
    assert target == (REPO / "schemas" / f"{schema}.schema.json").resolve()
    validator = Draft202012Validator(json.loads(target.read_text("utf-8")))
    assert list(validator.iter_errors(guidance.data[name])) == []


def test_validate_reports_a_locale_file_without_its_schema_pointer(content_copy: Path) -> None:
    path = content_copy / "translations" / "es.yaml"
    path.write_text(path.read_text("utf-8").split("\n", 1)[1], "utf-8")
    result = check(content_copy, review_dates=False)
    (found,) = [d for d in result.diagnostics if d.code == "schema-pointer"]
    assert found.file.endswith("translations/es.yaml") and found.line == 1
    assert "$schema=../../../schemas/translation.schema.json" in found.message
