"""The personal plan: what one person's assessment tells them, on one page.

Checked as a person would meet it: the baseline self-care plan is one A4 page
and one Letter page; a plan with every step fits two; an emergency plan is one
page with the fired warning signs' advice and nothing else.  The PDFs are
checked for tags, title and language as the leaflet is (``test_pdf``), and
every HTML plan runs axe-core in Chromium as the leaflets do (``test_html``),
with screenshots at 390 px and 1280 px kept as artifacts.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from kneeguide.cli import main
from kneeguide.engine import Assessment, StepResult
from kneeguide.guidance import Guidance
from kneeguide_exporters import plan
from test_html import (  # noqa: F401  (browser is a fixture)
    ARTIFACTS,
    AXE,
    WCAG_TAGS,
    Page,
    browser,
    format_violations,
    open_page,
)
from test_pdf import accessibility_problems, page_texts

BASELINE = json.loads((Path(__file__).parent / "answers" / "baseline.json").read_text())
EMERGENCY = {**BASELINE, "chest_pain_or_breathless": True}
SOON = {**BASELINE, "wakes_from_sleep": True}


def assess(g: Guidance, answers: dict[str, object]) -> Assessment:
    return g.assess(answers)


def changed(a: Assessment, **update: object) -> Assessment:
    """A copy of an assessment with some fields replaced, validated like any other."""
    return Assessment.model_validate({**dict(a), **update})


def every_step(g: Guidance, a: Assessment) -> Assessment:
    """The baseline assessment with every relief and prevention step: the longest self-care plan."""

    def results(steps: Any) -> tuple[StepResult, ...]:
        return tuple(
            StepResult(id=s.id, title=s.title, text=s.text, how_to=tuple(s.how_to), sources=tuple(s.sources))
            for s in steps
        )

    return changed(a, relief=results(g.relief), prevention=results(g.prevention))


def pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as doc:
        return len(doc.pages)


def text_of(data: bytes) -> str:
    return Page(data).plain


@pytest.fixture(scope="module")
def baseline(guidance: Guidance) -> Assessment:
    a = assess(guidance, BASELINE)
    assert a.urgency == "self_care" and a.relief and a.prevention
    return a


@pytest.fixture(scope="module")
def emergency(guidance: Guidance) -> Assessment:
    a = assess(guidance, EMERGENCY)
    assert a.urgency == "emergency"
    return a


# --- what the plan says ------------------------------------------------------------


def test_self_care_plan_holds_what_applies_in_order(guidance: Guidance, baseline: Assessment) -> None:
    text = text_of(plan.render_plan(guidance, baseline, "html"))
    w = plan.plan_words(guidance)
    order = [w["now_self_care"], w["thermal"], baseline.thermal.title, w["relief"]]
    order += [s.title for s in baseline.relief] + [w["prevention"]] + [s.title for s in baseline.prevention]
    order += [w["watch"], guidance.metadata.disclaimer]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [p for p, at in zip(order, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    for line in (*baseline.thermal.cautions, *(h for s in baseline.relief for h in s.how_to)):
        assert line in text
    assert w["fired"] not in text  # nothing fired


def test_watch_list_is_every_sign_that_did_not_fire(guidance: Guidance) -> None:
    a = assess(guidance, SOON)
    p = plan.build_plan(guidance, a)
    fired = {f.id for f in a.red_flags}
    assert fired, "these answers fire a sign"
    expected = [rf.title for rf in guidance.red_flags if rf.id not in fired and not rf.out_of_scope]
    assert sorted(t for group in p.watch for t in group.titles) == sorted(expected)
    assert [group.urgency for group in p.watch] == ["emergency", "urgent", "soon"]


def test_fired_signs_come_first(guidance: Guidance) -> None:
    a = assess(guidance, SOON)
    text = text_of(plan.render_plan(guidance, a, "html"))
    first = min(text.find(f.advice) for f in a.red_flags)
    w = plan.plan_words(guidance)
    assert 0 <= text.find(w[f"now_{a.urgency}"]) < first < text.find(w["thermal"])


def test_emergency_plan_is_only_what_to_do_now(guidance: Guidance, emergency: Assessment) -> None:
    full = assess(guidance, BASELINE)
    for fmt in ("html", "pdf"):
        data = plan.render_plan(guidance, emergency, fmt)
        text = text_of(data) if fmt == "html" else _pdf_text(data)
        for flag in emergency.red_flags:
            assert flag.title in text
            assert " ".join(flag.advice.split()) in " ".join(text.split())
        absent = [plan.plan_words(guidance)[k] for k in ("thermal", "relief", "prevention", "watch")]
        absent += [s.title for s in (*full.relief, *full.prevention)] + [full.thermal.title]
        assert [a for a in absent if a in text] == []


def _pdf_text(data: bytes) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.pdf"
        path.write_bytes(data)
        return "\n".join(page_texts(path))


def test_same_assessment_gives_identical_bytes(guidance: Guidance, baseline: Assessment) -> None:
    for fmt in ("html", "pdf"):
        assert plan.render_plan(guidance, baseline, fmt) == plan.render_plan(guidance, baseline, fmt)


def test_markup_in_content_stays_text(guidance: Guidance, baseline: Assessment) -> None:
    hostile = "<script>alert(1)</script>"
    step = baseline.relief[0].model_copy(update={"title": hostile})
    a = changed(baseline, relief=(step, *baseline.relief[1:]))
    page = plan.render_plan(guidance, a, "html")
    assert b"<script" not in page and b"&lt;script&gt;" in page


def test_bad_format_or_paper_is_refused(guidance: Guidance, baseline: Assessment) -> None:
    with pytest.raises(ValueError, match="format"):
        plan.render_plan(guidance, baseline, "docx")
    with pytest.raises(ValueError, match="paper"):
        plan.render_plan(guidance, baseline, "pdf", "a5")


# --- pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_baseline_plan_is_one_page(guidance: Guidance, baseline: Assessment, paper: str) -> None:
    data = plan.render_plan(guidance, baseline, "pdf", paper)
    assert pages(data) == 1
    _save(f"plan-baseline-{paper}.pdf", data)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_plan_with_every_step_is_two_pages_at_most(
    guidance: Guidance, baseline: Assessment, paper: str
) -> None:
    assert pages(plan.render_plan(guidance, every_step(guidance, baseline), "pdf", paper)) <= 2


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_emergency_plan_is_one_page(guidance: Guidance, emergency: Assessment, paper: str) -> None:
    data = plan.render_plan(guidance, emergency, "pdf", paper)
    assert pages(data) == 1
    _save(f"plan-emergency-{paper}.pdf", data)


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.28, 841.89)), ("letter", (612, 792))])
def test_pdf_plan_is_tagged_on_its_paper(
    guidance: Guidance, baseline: Assessment, paper: str, size: tuple[float, float]
) -> None:
    with pikepdf.open(io.BytesIO(plan.render_plan(guidance, baseline, "pdf", paper))) as doc:
        title = plan.build_plan(guidance, baseline).title
        assert accessibility_problems(doc, title, guidance.metadata.language) == []
        box = [float(v) for v in doc.pages[0].MediaBox]
        assert (box[2] - box[0], box[3] - box[1]) == pytest.approx(size, abs=0.5)


def _save(name: str, data: bytes) -> None:
    folder = ARTIFACTS / "plan"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


# --- command line ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_cli_writes_the_plan(
    tmp_path: Path, fmt: str, guidance: Guidance, baseline: Assessment, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(BASELINE))
    out = tmp_path / f"plan.{fmt}"
    args = ["assess", "--answers", str(answers), "--format", fmt, "-o", str(out)]
    assert main([*args, "--paper", "letter"]) == 0
    assert out.read_bytes() == plan.render_plan(guidance, baseline, fmt, "letter")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_cli_plan_needs_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(BASELINE))
    assert main(["assess", "--answers", str(answers), "--format", "pdf"]) == 2
    assert "-o FILE" in capsys.readouterr().err
    assert main(["assess", "--answers", str(answers), "-o", str(tmp_path / "x")]) == 2


# --- in a real browser ---------------------------------------------------------------------

PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def html_plans(
    tmp_path_factory: pytest.TempPathFactory, guidance: Guidance, baseline: Assessment, emergency: Assessment
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("plans")
    paths = {}
    for name, a in {"baseline": baseline, "emergency": emergency, "soon": assess(guidance, SOON)}.items():
        paths[name] = folder / f"plan-{name}.html"
        paths[name].write_bytes(plan.render_plan(guidance, a, "html"))
    return paths


@pytest.mark.browser
@pytest.mark.parametrize("which", ["baseline", "emergency", "soon"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP], ids=["390px", "1280px"])
def test_axe_finds_no_violation_in_the_plan(
    browser: Any,  # noqa: F811
    html_plans: dict[str, Path],
    which: str,
    scheme: str,
    viewport: dict[str, int],
) -> None:
    page = open_page(browser, html_plans[which], viewport=viewport, color_scheme=scheme, bypass_csp=True)
    try:
        shot = ARTIFACTS / "plan" / f"html-plan-{which}-{viewport['width']}-{scheme}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.context.close()
    assert len(result["passes"]) > 5, "axe checked the page"
    assert not result["violations"], format_violations(result["violations"])
    assert width <= viewport["width"], "nothing scrolls sideways"
    assert shot.stat().st_size > 0


@pytest.mark.browser
def test_printed_html_emergency_plan_and_summary_keep_their_page_counts(
    browser: Any,  # noqa: F811
    html_plans: dict[str, Path],
    guidance: Guidance,
    tmp_path: Path,
) -> None:
    """Printed from the browser: the emergency plan is one page, the short leaflet two."""
    from kneeguide_exporters import html

    summary = tmp_path / "summary.html"
    summary.write_bytes(html.render(guidance)[f"{guidance.id}-summary.html"])
    counts = {}
    for name, path in {"emergency": html_plans["emergency"], "summary": summary}.items():
        page = open_page(browser, path)
        try:
            data = page.pdf(prefer_css_page_size=True)
        finally:
            page.context.close()
        _save(f"html-{name}-printed.pdf", data)
        counts[name] = pages(data)
    assert counts == {"emergency": 1, "summary": 2}


def test_the_plan_speaks_the_locale_it_is_made_in(guidance: Guidance) -> None:
    """Every word the plan adds is the locale's: a Spanish plan has no English plan words."""
    es = guidance.localized("es-US")
    english, spanish = plan.plan_words(guidance), plan.plan_words(es)
    assert english.keys() == spanish.keys() and english["title"] == "Your plan"
    page = plan.render_plan(es, assess(es, BASELINE), "html").decode("utf-8")
    assert 'lang="es-US"' in page and spanish["now_self_care"] in page
    differing = [k for k in english if english[k] != spanish[k] and len(english[k]) > 3]
    assert len(differing) > 20
    for key in differing:
        assert f">{english[key]}<" not in page, key


def test_an_emergency_shows_only_what_to_do_now(guidance: Guidance) -> None:
    """A lower flag that fired beside an emergency waits: the plan and the report show the call only."""
    from kneeguide.report import assessment_text

    a = assess(guidance, {**EMERGENCY, "wakes_from_sleep": True})
    lower = [f for f in a.red_flags if f.urgency != "emergency"]
    assert a.urgency == "emergency" and lower, "the answers fire a lower flag as well"
    assert {f.id for f in a.shown_red_flags} == {f.id for f in a.red_flags if f.urgency == "emergency"}
    page = plan.render_plan(guidance, a, "html").decode("utf-8")
    report = assessment_text(guidance, a)
    for flag in lower:
        assert flag.title not in page and flag.title not in report, flag.id
    for flag in a.shown_red_flags:
        assert flag.title in page and flag.title in report, flag.id
    assert {f["id"] for f in json.loads(a.to_json())["red_flags"]} == {f.id for f in a.red_flags}
