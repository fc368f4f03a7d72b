"""The pictures of the stretches and positions: poses as data, drawn as accessible SVG.

The geometry is checked against the figure's fixed proportions, the SVG is
parsed as XML (never matched as text alone), and the same pose must give
the same bytes.  The shipped content must give every stretch, position and
exercise a picture with alt text.
"""

from __future__ import annotations

import io
import json
import math
import shutil
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from kneeguide.figures import HEIGHT, LENGTHS, PARTS, WIDTH, Angles, Point, Pose, Prop, joints, start
from kneeguide.guidance import Guidance
from kneeguide.loader import check
from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root
from kneeguide_exporters.figures import NO_PICTURE, picture, pictures, svg
from test_html import browser, open_page  # noqa: F401  (browser is a fixture)

SVG = "{http://www.w3.org/2000/svg}"
SHIPPED = guidance_root() / DEFAULT_GUIDELINE
BASE = Path(__file__).parent / "content_examples" / "base"


def _pose(**angles: float) -> Pose:
    standing = {
        "torso": -90,
        "head": -90,
        "near_upper_arm": 90,
        "near_forearm": 90,
        "far_upper_arm": 90,
        "far_forearm": 90,
        "near_thigh": 90,
        "near_shin": 90,
        "near_foot": 0,
        "far_thigh": 90,
        "far_shin": 90,
        "far_foot": 0,
    }
    return Pose(
        id="standing",
        alt="A person stands up straight.",
        hip=Point(x=60, y=46),
        angles=Angles(**{**standing, **angles}),
        highlight=["near_shin"],
        props=[Prop(kind="floor", y=84), Prop(kind="towel", between=["near_forearm", "near_foot"])],
    )


@pytest.fixture(scope="module")
def shipped() -> object:
    result = check(SHIPPED, review_dates=False)
    assert result.guidance is not None, result.diagnostics
    return result.guidance


def test_every_part_keeps_its_length_in_any_pose() -> None:
    for angles in ({}, {"near_thigh": 0.0, "near_shin": -45.0, "torso": -60.0, "near_forearm": 170.0}):
        at = joints(_pose(**angles))
        for part in PARTS:
            length = LENGTHS[part.removeprefix("near_").removeprefix("far_")]
            (x0, y0), (x1, y1) = at[start(part)], at[part]
            assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(length, abs=0.2), part


def test_angles_point_the_way_the_content_says() -> None:
    at = joints(_pose(near_thigh=0))
    hip = at["hip"]
    assert at["torso"][0] == pytest.approx(hip[0]) and at["torso"][1] < hip[1]  # -90 is up
    assert at["far_thigh"][1] > hip[1]  # 90 is down
    assert at["near_thigh"][0] > hip[0]  # 0 is forward
    assert at["near_foot"][0] > at["near_shin"][0]


def test_svg_is_an_accessible_image_named_by_its_alt_text() -> None:
    alt = 'Sit "down" & <pull> your toes up.'
    root = ET.fromstring(svg(_pose(), alt))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label") == alt
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == alt
    # Everything drawn is decoration: each child but the title is hidden from assistive technology.
    for child in root:
        if child.tag != f"{SVG}title":
            assert child.get("aria-hidden") == "true", child.tag
    assert not list(root.iter(f"{SVG}text")), "no text: the picture needs no font"
    assert not [e for e in root.iter() if e.get("id")], "an id would clash when a page shows a picture twice"


def test_svg_draws_every_part_and_colours_the_highlight() -> None:
    pose = _pose(near_thigh=60, near_shin=100, near_upper_arm=30, near_forearm=60)
    root = ET.fromstring(svg(pose, "x"))
    lines = list(root.iter(f"{SVG}line"))
    at = joints(pose)
    drawn = {(float(e.get("x2", "nan")), float(e.get("y2", "nan"))): e.get("stroke") for e in lines}
    for part in PARTS:
        if part != "head":
            assert at[part] in drawn, part
    assert len(list(root.iter(f"{SVG}circle"))) == 1  # the head
    assert drawn[at["near_shin"]] != drawn[at["far_shin"]]
    assert drawn[at["near_shin"]] not in (drawn[at["near_thigh"]], drawn[at["far_thigh"]])
    towel = [e for e in lines if (e.get("x1"), e.get("y1")) == tuple(f"{v:g}" for v in at["near_forearm"])]
    assert towel, "the towel joins the hand to the foot"


def test_same_pose_same_bytes_and_numbers_written_one_way() -> None:
    first = svg(_pose(near_thigh=-0.04), "a")
    assert first == svg(_pose(near_thigh=-0.04), "a")
    assert '-0"' not in first and '.0"' not in first
    assert svg(_pose(near_thigh=10), "a") != first


def test_shipped_stretches_and_positions_all_have_pictures(shipped: object) -> None:
    g = shipped
    steps = [*g.relief, *g.prevention]  # type: ignore[attr-defined]
    shown = [s for s in steps if s.shows]
    assert len(shown) >= 6
    kinds = {s.shows for s in shown}
    assert {"stretch", "position"} <= kinds
    for s in shown:
        assert s.figure is not None, s.id
        pose = g.poses[s.figure.pose]  # type: ignore[attr-defined]
        alt = s.figure.alt or pose.alt
        assert alt, s.id
        ET.fromstring(svg(pose, alt))
    used = {s.figure.pose for s in steps if s.figure}
    assert used == set(g.poses), "every pose is used by a step"  # type: ignore[attr-defined]


def test_each_step_gets_its_own_pose_and_alt_text_drawn(shipped: object) -> None:
    """Drawing each pose and alt text once must still give every step the picture of its own figure."""
    g = shipped
    drawn = pictures(g)  # type: ignore[arg-type]
    steps = [*g.relief, *g.prevention]  # type: ignore[attr-defined]
    assert set(drawn) == {s.id for s in steps}
    for s in steps:
        if s.figure is None:
            assert drawn[s.id] == NO_PICTURE
            continue
        pose = g.poses[s.figure.pose]  # type: ignore[attr-defined]
        alt = s.figure.alt or pose.alt
        assert drawn[s.id] == (svg(pose, alt), alt) == picture(g, s.id), s.id  # type: ignore[arg-type]
    assert picture(g, "no-such-step") == NO_PICTURE  # type: ignore[arg-type]
    assert len({svg for svg, _ in drawn.values()}) > 2, "the steps show different pictures"


def test_a_guide_without_pictures_needs_no_figures_file(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    shutil.copytree(BASE, folder)
    (folder / "figures.yaml").unlink()
    relief = folder / "relief.yaml"
    relief.write_text(
        relief.read_text("utf-8").replace("    shows: stretch\n    figure: {pose: sit_calf}\n", ""), "utf-8"
    )
    result = check(folder, review_dates=False)
    assert result.diagnostics == [] and result.guidance is not None
    assert result.guidance.poses == {}
    assert "figures.yaml" not in result.guidance.data


def test_a_figure_without_figures_file_is_an_unknown_pose(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    shutil.copytree(BASE, folder)
    (folder / "figures.yaml").unlink()
    result = check(folder, review_dates=False)
    assert [d.code for d in result.errors] == ["figure-unknown-pose"]
    assert "there is no figures.yaml" in result.errors[0].message


def test_a_broken_figures_file_stops_before_the_steps_are_checked(tmp_path: Path) -> None:
    """A figures.yaml that fails its schema is one mistake, not also every step's unknown pose."""
    folder = tmp_path / "g"
    shutil.copytree(BASE, folder)
    figures = folder / "figures.yaml"
    figures.write_text(figures.read_text("utf-8").replace("torso: -75", "torso: up"), "utf-8")
    result = check(folder, review_dates=False)
    assert [d.code for d in result.errors] == ["schema"]
    assert Path(result.errors[0].file).name == "figures.yaml"


# --- in the leaflets and the plan -------------------------------------------------------


def _pictured(g: Guidance) -> dict[str, tuple[str, str]]:
    """Every step with a picture: id -> (svg, alt)."""
    return {s.id: picture(g, s.id) for s in (*g.relief, *g.prevention) if s.figure is not None}


def _figure_alts(data: bytes) -> list[str]:
    """The alternate description of every Figure in a PDF's structure tree, in order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)
        elif isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node.K)

    with pikepdf.open(io.BytesIO(data)) as doc:
        walk(doc.Root.StructTreeRoot)
    return found


def test_html_leaflets_show_each_picture_in_its_step(guidance: Guidance) -> None:
    from kneeguide_exporters import html

    pages = html.render(guidance)
    pictured = _pictured(guidance)
    assert len(pictured) >= 6
    leaflet = pages[f"{guidance.id}.html"].decode()
    summary = pages[f"{guidance.id}-summary.html"].decode()
    for step_id, (markup, alt) in pictured.items():
        start = leaflet.index(f'id="step-{step_id}"')
        ends = (leaflet.find('<li class="card"', start), leaflet.find("</ul>", start))
        card = leaflet[start : min(i for i in ends if i != -1)]  # the step's own card
        assert markup in card, step_id
        assert f'aria-label="{escape(alt, quote=True)}"' in markup
        assert markup in summary, step_id
    assert leaflet.count('<svg xmlns="http://www.w3.org/2000/svg"') == len(pictured)
    assert "<svg" not in pages[f"{guidance.id}-clinician.html"].decode()


def test_pdf_leaflets_tag_each_picture_with_its_alt_text(guidance: Guidance) -> None:
    from kneeguide_exporters import pdf

    alts = sorted(alt for _, alt in _pictured(guidance).values())
    for name, data in pdf.render(guidance).items():
        assert sorted(_figure_alts(data)) == alts, name


def test_the_plan_shows_the_pictures_of_its_steps(guidance: Guidance) -> None:
    from kneeguide_exporters import plan

    a = guidance.assess(json.loads((Path(__file__).parent / "answers" / "baseline.json").read_text()))
    pictured = _pictured(guidance)
    shown = [pictured[s.id] for s in (*a.relief, *a.prevention) if s.id in pictured]
    assert shown, "the baseline plan has a stretch"
    page = plan.render_plan(guidance, a, "html").decode()
    for markup, _ in shown:
        assert markup in page
    assert page.count("<svg") == len(shown)
    assert sorted(_figure_alts(plan.render_plan(guidance, a, "pdf"))) == sorted(alt for _, alt in shown)


@pytest.mark.browser
def test_a_browser_names_each_picture_by_its_alt_text(
    browser: Any,  # noqa: F811
    guidance: Guidance,
    tmp_path: Path,
) -> None:
    """What assistive technology gets: one image per picture, named by its alt text, nothing inside."""
    from kneeguide_exporters import html

    path = tmp_path / "leaflet.html"
    path.write_bytes(html.render(guidance)[f"{guidance.id}.html"])
    page = open_page(browser, path)
    try:
        for _, alt in _pictured(guidance).values():
            assert page.get_by_role("img", name=alt, exact=True).count() >= 1, alt
        hidden = page.evaluate(
            "() => [...document.querySelectorAll('svg.figure > :not(title)')]"
            ".every(e => e.getAttribute('aria-hidden') === 'true')"
        )
        assert hidden
    finally:
        page.context.close()
