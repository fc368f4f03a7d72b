"""Locales: every shipped locale says its own region's services, numbers and words, in its language.

For each shipped locale (en-GB, en-US, es-US) every assessment over the
vignettes, the text report, and every export (FHIR, HTML, PDF text taken
out with pdftotext) is checked for the other region's service names and
numbers; Spanish output is checked for English patient sentences; and
validate is shown catching what localisation can get wrong: a stale or
missing translation, an unknown placeholder, a region that leaves one
unfilled, a red flag whose advice does not name its kind of care.
"""

from __future__ import annotations

import html
import json
import pickle
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import kneeguide
from kneeguide.cli import main
from kneeguide.errors import AnswersError, ContentError, LocaleError
from kneeguide.guidance import Guidance
from kneeguide.loader import check
from kneeguide.localisation.reading import spanish_grade, spanish_syllables
from kneeguide.localisation.texts import is_clinician_key, is_patient_key, sha256
from kneeguide.renderers import ENGLISH
from kneeguide.report import assessment_text
from kneeguide.service.problems import LOCALES
from kneeguide_exporters import fhir, pdf
from kneeguide_exporters import html as html_export
from kneeguide_exporters.fhir_locale import TRANSLATION_EXT
from test_vignettes import BASELINE, VIGNETTES

SHIPPED = ("en-GB", "en-US", "es-US")

UK_ONLY = [r"\b999\b", r"A&E", r"NHS 111", r"\bGP\b", r"urgent treatment centre", r"minor injuries unit",
           r"\bparacetamol\b", r"\b38 C\b", r"practice nurse", r"\bphysio\b", r"plaster cast"]  # fmt: skip
US_ONLY = [r"\b911\b", r"emergency room", r"urgent care center", r"acetaminophen", r"100\.4 F",
           r"primary care provider", r"physical therapist"]  # fmt: skip
FORBIDDEN = {"en-GB": US_ONLY, "en-US": UK_ONLY, "es-US": UK_ONLY}


def problems(text: str, locale: str) -> list[str]:
    return [p for p in FORBIDDEN[locale] if re.search(p, text)]


def without(text: str, strings: list[str]) -> str:
    """``text`` (whitespace collapsed) with each of ``strings`` taken out: what the check may ignore."""
    flat = " ".join(text.split())
    for s in sorted({" ".join(s.split()) for s in strings if s.strip()}, key=len, reverse=True):
        flat = flat.replace(s, " ")
    return flat


def citations(g: Guidance) -> list[str]:
    """The sources' own words (NHS, NICE titles and URLs): they name their publishers, not advice."""
    out = []
    for s in g.sources.values():
        out += [s.authors, s.title, s.publisher, s.url, s.note or ""]
    return out


def clinician_strings(g: Guidance) -> list[str]:
    """What only clinicians read, which cites the UK sources it rests on (e.g. "NHS DVT advises 999")."""
    out = [rf.clinician_note for rf in g.red_flags] + [r.rationale for r in g.thermal_rules]
    out += [s.evidence_note or "" for s in (*g.relief, *g.prevention)]
    out += [str(v) for h in g.hazards for v in h.model_dump().values() if isinstance(v, str)]
    out += [c.reason for c in g.conflicts]
    return out


@pytest.fixture(scope="module", params=SHIPPED)
def localized(request: pytest.FixtureRequest, guidance: Guidance) -> Guidance:
    return guidance.localized(request.param)


# --- what is shipped -------------------------------------------------------------------


def test_shipped_locales(guidance: Guidance) -> None:
    assert guidance.locale == "en-GB"
    assert guidance.locales == SHIPPED == LOCALES
    assert kneeguide.load(locale="es-us").locale == "es-US"
    assert guidance.localized("es") is guidance.localized("es-US")  # cached, and "es" means es-US


def test_unknown_locale_is_refused(guidance: Guidance) -> None:
    for tag in ("fr-FR", "en-AU", "not a tag", ""):
        with pytest.raises(LocaleError, match="shipped: en-GB, en-US, es-US"):
            guidance.localized(tag)


def test_the_digest_and_the_decisions_are_the_same_in_every_locale(guidance: Guidance) -> None:
    for case in VIGNETTES:
        answers = {**BASELINE, **case["answers"]}
        results = [guidance.localized(t).assess(answers) for t in SHIPPED]
        keys = [
            (a.guidance.digest, a.urgency, [r.id for r in a.red_flags], a.thermal.rule,
             [s.id for s in a.relief], [s.id for s in a.prevention], [(t.rule, t.fired) for t in a.trace])
            for a in results
        ]  # fmt: skip
        assert keys[0] == keys[1] == keys[2], case["id"]
        assert [a.guidance.locale for a in results] == list(SHIPPED)


def test_a_localised_guidance_pickles_whole(guidance: Guidance) -> None:
    us = guidance.localized("es-US")
    copy = pickle.loads(pickle.dumps(us))
    assert copy.locale == "es-US" and copy.ui == us.ui and copy.red_flags == us.red_flags
    assert copy.localized("en-US").red_flags == guidance.localized("en-US").red_flags


# --- each region's words -----------------------------------------------------------------


def test_each_region_says_its_own_services(guidance: Guidance) -> None:
    gb, us = guidance, guidance.localized("en-US")
    text = {t: json.dumps([rf.advice for rf in g.red_flags] + [g.metadata.disclaimer]) for t, g in
            (("gb", gb), ("us", us))}  # fmt: skip
    for word in ("999", "A&E", "NHS 111", "an urgent treatment centre"):
        assert word in text["gb"]
    for word in ("911", "the emergency room", "an urgent care center", "a nurse advice line"):
        assert word in text["us"]
    pain = {g.locale: next(s.text for s in g.relief if s.id == "relief_pain_relief_after") for g in (gb, us)}
    assert "paracetamol" in pain["en-GB"] and "twice" not in pain["en-GB"]
    assert "acetaminophen" in pain["en-US"] and "do not take it twice" in pain["en-US"]  # US double dosing
    fever = {g.locale: next(q.text for q in g.questions if q.id == "fever") for g in (gb, us)}
    assert "38 C" in fever["en-GB"] and "100.4 F" in fever["en-US"]


def test_the_emergency_headline_names_one_number(localized: Guidance) -> None:
    headline = localized.ui["report.headline.emergency"]
    assert ("999" in headline) == (localized.locale == "en-GB")
    assert ("911" in headline) == (localized.locale != "en-GB")


@pytest.mark.parametrize("case", VIGNETTES, ids=[c["id"] for c in VIGNETTES])
def test_assessments_name_no_other_region(case: dict[str, Any], guidance: Guidance) -> None:
    answers = {**BASELINE, **case["answers"]}
    for tag in SHIPPED:
        g = guidance.localized(tag)
        a = g.assess(answers)
        data = json.dumps(a.model_dump(mode="json"), ensure_ascii=False)
        report = without(assessment_text(g, a), citations(g))
        assert problems(data, tag) == [] and problems(report, tag) == [], (tag, case["id"])


def test_interview_questions_name_no_other_region(localized: Guidance) -> None:
    step = localized.interview({})
    data = json.dumps(step.model_dump(mode="json"), ensure_ascii=False)
    assert problems(data, localized.locale) == []


def test_exports_name_no_other_region(localized: Guidance, tmp_path: Path) -> None:
    tag = localized.locale
    ignore = citations(localized) + clinician_strings(localized)
    bundle = fhir.build_bundle(localized)
    assert problems(without(json.dumps(bundle, ensure_ascii=False), ignore), tag) == []
    for name, body in html_export.render(localized).items():
        text = html.unescape(re.sub(r"<[^>]+>", " ", body.decode("utf-8")))
        assert problems(without(text, ignore), tag) == [], name
    for name, body in pdf.render(localized).items():
        (tmp_path / name).write_bytes(body)
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(tmp_path / name), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert problems(without(text, ignore), tag) == [], name


def test_export_language_follows_the_locale(localized: Guidance, tmp_path: Path) -> None:
    import pikepdf

    tag = localized.locale
    page = html_export.render(localized)[f"{localized.id}.html"].decode("utf-8")
    assert f'<html lang="{tag}"' in page
    body = pdf.render(localized)[f"{localized.id}.pdf"]
    (tmp_path / "a.pdf").write_bytes(body)
    with pikepdf.open(tmp_path / "a.pdf") as doc:
        assert str(doc.Root.Lang) == tag
    bundle = json.loads(fhir.render(localized)[f"{localized.id}.fhir.json"])
    assert bundle["language"] == tag
    assert {e["resource"]["language"] for e in bundle["entry"]} == {tag}
    plan = bundle["entry"][0]["resource"]
    assert plan["jurisdiction"] == [{"coding": [{"system": "urn:iso:std:iso:3166", "code": tag[-2:]}]}]


def _actions(actions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every action of a PlanDefinition, groups and their members alike."""
    for a in actions:
        yield a
        yield from _actions(a.get("action", []))


def test_fhir_carries_the_regions_other_language_as_translations(guidance: Guidance) -> None:
    us = json.loads(fhir.render(guidance.localized("en-US"))["knee-muscle-spasm.fhir.json"])
    plan = us["entry"][0]["resource"]
    action = next(a for a in _actions(plan["action"]) if a["id"] == "possible_pulmonary_embolism")
    (ext,) = action["_description"]["extension"]
    assert ext["url"] == TRANSLATION_EXT
    parts = {e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ext["extension"]}
    assert parts["lang"] == "es-US" and parts["content"].startswith("Llame al 911 ahora.")
    assert action["description"].startswith("Call 911 now.")
    gb = fhir.render(guidance)["knee-muscle-spasm.fhir.json"].decode("utf-8")
    assert TRANSLATION_EXT not in gb  # no other locale is shipped for GB


# --- Spanish ------------------------------------------------------------------------------


def test_every_spanish_string_is_translated(guidance: Guidance) -> None:
    loc = guidance.localisation
    assert loc is not None
    spanish = loc.translations["es"]
    assert spanish.reviewed is False and spanish.reviewer is None
    assert "machine-assisted" in spanish.translator
    wanted = [k for k in loc.source if not k.startswith("regions.GB") and not is_clinician_key(k)]
    assert [k for k in wanted if k not in spanish.texts] == []


def test_spanish_patient_text_holds_no_english_sentence(guidance: Guidance) -> None:
    """No English patient sentence of four or more words survives into es-US (proper names do)."""
    loc = guidance.localisation
    assert loc is not None
    english = [loc.text(k, "en", "US") for k in loc.source if is_patient_key(k) or k.startswith("ui.")]
    sentences = {s.strip() for t in english for s in re.split(r"(?<=[.!?:])\s", t) if len(s.split()) >= 4}
    es = guidance.localized("es-US")
    texts = [html.unescape(re.sub(r"<[^>]+>", " ", html_export.render(es)[f"{es.id}.html"].decode()))]
    for case in VIGNETTES:
        a = es.assess({**BASELINE, **case["answers"]})
        texts.append(without(assessment_text(es, a), citations(es)))
    flat = " ".join(" ".join(texts).split())
    leaked = sorted(s for s in sentences if s in flat)
    assert leaked == []


def test_spanish_syllables() -> None:
    cases = {"ciudad": 2, "poesía": 4, "que": 1, "agua": 2, "muy": 1, "hoy": 1, "pingüino": 3,
             "leer": 2, "país": 2, "ahora": 3, "pantorrilla": 4, "guía": 2, "rodilla": 3, "y": 1}  # fmt: skip
    assert {w: spanish_syllables(w) for w in cases} == cases


def test_spanish_grade_is_the_szigriszt_pazos_formula() -> None:
    g = spanish_grade(["La rodilla duele. Llame al médico."])
    words, syllables, sentences = 6, 1 + 3 + 2 + 2 + 1 + 3, 2  # la ro-di-lla due-le lla-me al mé-di-co
    assert (g.words, g.syllables, g.sentences) == (words, syllables, sentences)
    assert g.szigriszt_pazos == round(206.835 - 62.3 * syllables / words - words / sentences, 1)


def test_validate_reports_each_locales_reading_grade(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "en-US SMOG grade" in out
    assert re.search(r"es-US Szigriszt-Pazos \(INFLESZ\) \d+\.\d, [a-z ]+ \(minimum 55\.0\)", out)


# --- the command line --------------------------------------------------------------------


def test_export_all_in_en_us(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "all", "--locale", "en-US", "-o", str(tmp_path)]) == 0
    page = (tmp_path / "knee-muscle-spasm.html").read_text("utf-8")
    bundle = (tmp_path / "knee-muscle-spasm.fhir.json").read_text("utf-8")
    for word in ("911", "emergency room", "urgent care", "acetaminophen"):
        assert word in page and word in bundle
    assert "100.4 F" in bundle  # the fever question, in the Questionnaire
    assert problems(html.unescape(re.sub(r"<[^>]+>", " ", page)), "en-US") == []


def test_export_every_locale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "html", "--locale", "all", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SHIPPED)
    spanish = (tmp_path / "es-US" / "knee-muscle-spasm.html").read_text("utf-8")
    assert '<html lang="es-US"' in spanish and "Busque ayuda ahora" in spanish


def test_assess_with_a_locale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({**BASELINE, "chest_pain_or_breathless": True, "fever": True}))
    assert main(["assess", "--answers", str(answers), "--locale", "en-US"]) == 0
    us = capsys.readouterr().out
    assert "EMERGENCY: call 911 now." in us and "999" not in us
    assert main(["assess", "--answers", str(answers)]) == 0
    assert "EMERGENCY: call 999 now." in capsys.readouterr().out
    assert main(["assess", "--answers", str(answers), "--locale", "es-US", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["guidance"]["locale"] == "es-US"
    assert data["red_flags"][0]["advice"].startswith("Llame al 911 ahora.")
    assert main(["assess", "--answers", str(answers), "--locale", "fr-FR"]) == 2
    assert "not shipped" in capsys.readouterr().err


# --- answer problems for vendors -------------------------------------------------------------


def test_answer_problems_carry_a_code_and_params(guidance: Guidance) -> None:
    with pytest.raises(AnswersError) as info:
        guidance.assess({**BASELINE, "pain_score": 11, "muscle": "toe", "fever": "yes", "extra": 1})
    found = {p.field: (p.code, p.params) for p in info.value.problems}
    assert found["pain_score"] == ("out_of_range", {"minimum": 0, "maximum": 10, "value": 11})
    assert found["muscle"][0] == "not_a_choice" and found["muscle"][1]["value"] == "toe"
    assert found["fever"] == ("not_boolean", {"value": "yes"})
    assert found["extra"] == ("unknown_question", {})
    with pytest.raises(AnswersError) as info:
        guidance.assess({})
    assert {p.code for p in info.value.problems} == {"missing"}


# --- what validate catches ------------------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def _codes(folder: Path) -> dict[str, list[str]]:
    result = check(folder)
    out: dict[str, list[str]] = {}
    for d in result.diagnostics:
        out.setdefault(d.code, []).append(f"{Path(d.file).name}:{d.line}:{d.column}: {d.message}")
    return out


def test_validate_catches_a_stale_translation(content_copy: Path) -> None:
    _edit(content_copy / "red_flags.yaml", "Do not rub your leg.", "Do not rub or massage your leg.")
    found = _codes(content_copy)
    (stale,) = found["translation-stale"]
    text = (content_copy / "translations" / "es.yaml").read_text("utf-8").splitlines()
    line = next(
        i for i, t in enumerate(text, 1) if t.strip() == "red_flags.possible_pulmonary_embolism.advice:"
    )
    assert stale.startswith(
        f"es.yaml:{line + 1}:13: stale: the English of red_flags.possible_pulmonary_embolism"
    )
    g = YAML(typ="safe").load((content_copy / "red_flags.yaml").read_text("utf-8"))["red_flags"][0]
    assert sha256(g["advice"]) in stale  # the hash to record once the translation is updated


def test_validate_catches_a_missing_translation(content_copy: Path) -> None:
    path = content_copy / "translations" / "es.yaml"
    text = path.read_text("utf-8")
    start = text.index("  ui.report.what_to_do_now:\n")
    end = text.index("\n  ui.", start + 5)
    path.write_text(text[:start] + text[end + 1 :], "utf-8")
    (missing,) = _codes(content_copy)["translation-missing"][1:]  # the first is the clinician warning
    assert "no es translation of ui.report.what_to_do_now ('What to do now')" in missing


def test_validate_catches_an_unknown_placeholder(content_copy: Path) -> None:
    _edit(
        content_copy / "red_flags.yaml",
        "Call {emergency_number} now. New chest",
        "Call {emergency_numbr} now. New chest",
    )
    unknown = _codes(content_copy)["placeholder-unknown"]
    assert any(
        "unknown placeholder {emergency_numbr} (did you mean 'emergency_number'?)" in u for u in unknown
    )


def test_validate_catches_a_region_that_leaves_a_placeholder_unfilled(content_copy: Path) -> None:
    _edit(content_copy / "regions.yaml", '      emergency_number: "911"\n', "")
    (incomplete,) = _codes(content_copy)["region-incomplete"]
    assert "region US does not fill {emergency_number}" in incomplete


def test_validate_catches_advice_that_does_not_name_its_care(content_copy: Path) -> None:
    _edit(content_copy / "red_flags.yaml", "Call {emergency_number} now. New chest", "Rest now. New chest")
    found = _codes(content_copy)
    assert any("names no place that gives emergency_services care: use {emergency_number}" in m
               for m in found["care-not-named"])  # fmt: skip


def test_validate_catches_a_care_the_urgency_does_not_allow(content_copy: Path) -> None:
    _edit(content_copy / "red_flags.yaml", "    care: emergency_services\n", "    care: routine\n")
    (wrong,) = _codes(content_copy)["care-missing"]
    assert "care 'routine' does not fit urgency 'emergency'" in wrong


def test_a_ui_yaml_for_an_older_kneeguide_is_refused_naming_each_string(content_copy: Path) -> None:
    ui = content_copy / "ui.yaml"
    chosen = '  trace.chosen:\n    text: "chosen ({advice}, priority {priority}): {why}"\n'
    _edit(ui, chosen + "    params: [advice, priority, why]\n", "")
    _edit(ui, "    params: [flags]\n", "    params: [flags, count]\n")
    _edit(ui, "  trace.masked:", "  trace.maskd:\n    text: old\n  trace.masked:")
    found = _codes(content_copy)
    (missing,) = found["ui-missing"]
    assert missing.startswith("ui.yaml:") and "'trace.chosen'" in missing
    assert "advice, priority, why" in missing
    (params,) = found["ui-params"]
    assert "'trace.gate.not_with' takes ['flags', 'count']" in params and "fills in ['flags']" in params
    (unknown,) = found["ui-unknown"]
    assert "'trace.maskd'" in unknown and "did you mean 'trace.masked'" in unknown
    line = next(i for i, t in enumerate(ui.read_text("utf-8").splitlines(), 1) if "trace.maskd" in t)
    assert unknown.startswith(f"ui.yaml:{line}:3:")
    with pytest.raises(ContentError) as refused:  # using it fails as clearly, not with a KeyError later
        kneeguide.load(content_copy)
    assert "'trace.chosen'" in str(refused.value)


def test_a_folder_without_regions_has_one_locale(tmp_path: Path) -> None:
    base = Path(__file__).parent / "content_examples" / "base"
    g = kneeguide.load(base)
    assert g.locales == ("en-GB",) and g.ui["report.headline.emergency"] == "EMERGENCY: call 999 now."


def test_ui_words_for_conditions_match_the_renderer_default(guidance: Guidance) -> None:
    assert {k: v for k, v in guidance.ui.items() if k.startswith("cond.")} == {
        k.removeprefix("ui."): v for k, v in ((f"ui.{k}", v) for k, v in ENGLISH.items())
    }


def test_the_packaged_ui_and_regions_are_content(guidance: Guidance) -> None:
    """The locale files count in the digest: changing a region's words changes the content."""
    assert {"regions.yaml", "ui.yaml", "translations/es.yaml"} <= set(guidance.data)


def test_locale_files_are_copied_into_a_content_copy(content_copy: Path) -> None:
    shutil.rmtree(content_copy / "translations")
    g = kneeguide.load(content_copy)
    assert g.locales == ("en-GB", "en-US")


def test_using_content_with_a_stale_translation_withholds_that_language(content_copy: Path) -> None:
    """validate refuses it; load still serves English, and never the outdated Spanish."""
    _edit(content_copy / "red_flags.yaml", "Do not rub your leg.", "Do not rub or massage your leg.")
    assert "translation-stale" in _codes(content_copy)
    g = kneeguide.load(content_copy)
    assert g.locales == ("en-GB", "en-US")
    with pytest.raises(LocaleError):
        g.localized("es-US")
    assert check(content_copy, review_dates=False).guidance is not None


def test_the_service_answers_in_every_shipped_locale(guidance: Guidance) -> None:
    from starlette.testclient import TestClient

    from kneeguide.service.app import create_app

    client = TestClient(create_app(guidance), raise_server_exceptions=False)
    answers = {**BASELINE, "chest_pain_or_breathless": True}
    for tag, start in (
        ("en-GB", "Call 999 now."),
        ("en-US", "Call 911 now."),
        ("es-US", "Llame al 911 ahora."),
    ):
        body = client.post(f"/assess?locale={tag}", json=answers).json()
        assert body["guidance"]["locale"] == tag and body["red_flags"][0]["advice"].startswith(start)
        assert client.get(f"/questions?locale={tag}").json()["locale"] == tag
    refused = client.post("/assess?locale=es-US", json={**BASELINE, "pain_score": 11})
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["code"] == "out_of_range" and error["params"] == {"minimum": 0, "maximum": 10, "value": 11}
