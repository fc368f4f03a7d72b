"""The ``pdf`` export is a tagged, titled, self-contained leaflet, identical every time.

What a clinic or a screen-reader user relies on is checked in the bytes with
pikepdf (structure tree, language, title, fonts, bookmarks, paper size), and
what a reader sees is checked in the text poppler's ``pdftotext`` extracts:
every warning sign and every ice-or-heat rule, in the leaflet's order, with
the version, review date and disclaimer on every page.  Content that looks
like Typst code must come out as the same characters, and must not make Typst
read a file.  Page images from ``pdftoppm`` are kept as test artifacts so a
person can look at the pages a CI run produced.

poppler-utils (``pdftotext``, ``pdftoppm``) is a Debian package, not a Python
one.  Tests that need it skip on a developer machine without it, and fail
when ``CI`` is set, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from ruamel.yaml import YAML

import kneeguide
from kneeguide.cli import main
from kneeguide.guidance import Guidance
from kneeguide_exporters import leaflet, pdf

REPO = Path(__file__).resolve().parents[1]
A4 = (595.2756, 841.8898)
LETTER = (612.0, 792.0)
SECTIONS = [
    "Get help now",
    "See a clinician within a few days",
    "During a spasm",
    "Ice or heat: which one, when",
    "Help stop spasms coming back",
    "Sources",
    "About this guide",
]
"""The leaflet's top-level headings, in the HTML leaflet's order."""

MARKUP = {
    "flag_title": 'Chest pain #read("/etc/passwd") $x$ *bold*',
    "flag_advice": 'Call {emergency_number} now. #panic("boom") #import "x.typ": * and ] and \\ end.',
    "rule_title": 'No ice #read("leaflet.typ") _under_ @ref <lbl> // not a comment',
    "rule_instructions": "Keep still. `raw` #let x = 1 #{1 + 1} = heading",
}
"""Content that Typst would run or format if it were ever pasted into markup."""


def poppler(tool: str) -> str:
    """The path of a poppler-utils tool; skip without it, except on CI."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is missing: apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set, so this test may not skip)")
        pytest.skip(message)
    return path


def page_texts(path: Path, *, flat: bool = True) -> list[str]:
    """The text of each page; ``flat`` collapses whitespace so line breaks do not split phrases."""
    out = subprocess.run(
        [poppler("pdftotext"), "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [" ".join(page.split()) for page in pages] if flat else pages


def artifacts_dir() -> Path:
    """Where page images go: ``$KNEEGUIDE_ARTIFACTS/pdf`` or ``tests/artifacts/pdf``."""
    root = os.environ.get("KNEEGUIDE_ARTIFACTS")
    folder = (Path(root) if root else REPO / "tests" / "artifacts") / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def rendered(guidance: Guidance) -> dict[str, bytes]:
    return pdf.render(guidance)


@pytest.fixture(scope="module")
def written(rendered: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    paths = {}
    for name, data in rendered.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


@pytest.fixture(scope="module", params=["a4", "letter"])
def paper(request: pytest.FixtureRequest, guidance: Guidance) -> tuple[str, str]:
    """(file name, paper) for each of the two files."""
    suffix = "" if request.param == "a4" else "-letter"
    return f"{guidance.id}{suffix}.pdf", request.param


@pytest.fixture(scope="module")
def doc(paper: tuple[str, str], rendered: dict[str, bytes]) -> Iterator[pikepdf.Pdf]:
    with pikepdf.open(io.BytesIO(rendered[paper[0]])) as opened:
        yield opened


def structure_types(node: object) -> Iterator[str]:
    """Every structure type (``/S``) under a structure tree node."""
    if isinstance(node, pikepdf.Array):
        for child in node:
            yield from structure_types(child)
    elif isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            yield str(node.S)
        if "/K" in node:
            yield from structure_types(node.K)


# --- the format and the files ---------------------------------------------------


def test_the_format_offers_two_paper_sizes(guidance: Guidance, rendered: dict[str, bytes]) -> None:
    (fmt,) = pdf.kneeguide_formats()
    assert (fmt.name, fmt.media_type, fmt.render) == ("pdf", "application/pdf", pdf.render)
    assert sorted(rendered) == sorted(
        f"{guidance.id}{kind}{suffix}.pdf" for kind in ("", "-summary") for suffix in ("", "-letter")
    )
    assert all(data.startswith(b"%PDF-") for data in rendered.values())


def test_cli_export_writes_the_same_bytes(tmp_path: Path, rendered: dict[str, bytes]) -> None:
    assert main(["export", "pdf", "-o", str(tmp_path)]) == 0
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == rendered


def test_two_exports_are_byte_identical(guidance: Guidance, rendered: dict[str, bytes]) -> None:
    assert pdf.render(guidance) == rendered


def test_the_dates_come_from_the_guidance(doc: pikepdf.Pdf, guidance: Guidance) -> None:
    approved = guidance.metadata.approval_date.strftime("%Y%m%d")
    assert str(doc.docinfo["/CreationDate"]).startswith(f"D:{approved}")
    assert str(doc.docinfo["/ModDate"]).startswith(f"D:{approved}")


def test_paper_size(doc: pikepdf.Pdf, paper: tuple[str, str]) -> None:
    width, height = A4 if paper[1] == "a4" else LETTER
    for page in doc.pages:
        box = [float(v) for v in page.MediaBox]
        assert box[2] - box[0] == pytest.approx(width, abs=0.5)
        assert box[3] - box[1] == pytest.approx(height, abs=0.5)


# --- accessibility ----------------------------------------------------------------


def accessibility_problems(doc: pikepdf.Pdf, title: str, language: str) -> list[str]:
    """What a screen reader or PDF/UA checker would miss: tags, title, language."""
    problems = []
    if "/StructTreeRoot" not in doc.Root:
        problems.append("no structure tree")
    marked: object = doc.Root.get("/MarkInfo", pikepdf.Dictionary()).get("/Marked")
    if marked is not True:
        problems.append("not marked as tagged")
    if str(doc.Root.get("/Lang", "")) != language:
        problems.append("no document language")
    if str(doc.docinfo.get("/Title", "")) != title:
        problems.append("no title in the document info")
    with doc.open_metadata() as xmp:
        if xmp.get("dc:title") != title:
            problems.append("no title in the XMP metadata")
        if language not in str(xmp.get("dc:language", "")):
            problems.append("no language in the XMP metadata")
    shows_title: object = doc.Root.get("/ViewerPreferences", pikepdf.Dictionary()).get("/DisplayDocTitle")
    if shows_title is not True:
        problems.append("viewers show the file name, not the title")
    return problems


def unembedded_fonts(doc: pikepdf.Pdf) -> list[str]:
    """Every font, descendant font or font descriptor that carries no font program."""
    objects = [obj for obj in doc.objects if isinstance(obj, pikepdf.Dictionary)]
    fonts = [obj for obj in objects if obj.get("/Type") == pikepdf.Name.Font]
    if not fonts:
        return ["no font at all"]
    descriptors: list[pikepdf.Object] = [
        obj for obj in objects if obj.get("/Type") == pikepdf.Name.FontDescriptor
    ]
    problems = []
    for font in fonts:
        if font.Subtype == pikepdf.Name.Type3:  # glyphs drawn by the PDF itself
            continue
        parts = list(font.DescendantFonts) if font.Subtype == pikepdf.Name.Type0 else [font]
        for part in parts:
            if "/FontDescriptor" in part:
                descriptors.append(part.FontDescriptor)
            else:
                problems.append(f"{part.get('/BaseFont')} has no font descriptor")
    for descriptor in descriptors:
        if not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()):
            problems.append(f"{descriptor.get('/FontName')} is not embedded")
    return problems


def test_tagged_titled_and_in_a_language(doc: pikepdf.Pdf, guidance: Guidance) -> None:
    assert accessibility_problems(doc, guidance.metadata.title, guidance.metadata.language) == []
    with doc.open_metadata() as xmp:
        assert xmp["pdfuaid:part"] == "1"
    types = set(structure_types(doc.Root.StructTreeRoot.K))
    assert {"/Title", "/H1", "/H2", "/P", "/L", "/LI", "/Table", "/TH", "/TD", "/Link"} <= types


def test_every_font_is_embedded(doc: pikepdf.Pdf) -> None:
    assert unembedded_fonts(doc) == []


def _drop_font_file(doc: pikepdf.Pdf) -> None:
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.FontDescriptor:
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in obj:
                    del obj[key]
            return


def _drop_xmp_title(doc: pikepdf.Pdf) -> None:
    with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        del xmp["dc:title"]


FAULTS = {
    "no structure tree": lambda doc: doc.Root.__delitem__("/StructTreeRoot"),
    "not marked as tagged": lambda doc: doc.Root.MarkInfo.__setitem__("/Marked", False),
    "no document language": lambda doc: doc.Root.__delitem__("/Lang"),
    "no title in the document info": lambda doc: doc.docinfo.__delitem__("/Title"),
    "no title in the XMP metadata": _drop_xmp_title,
    "viewers show the file name, not the title": lambda doc: doc.Root.__delitem__("/ViewerPreferences"),
    "is not embedded": _drop_font_file,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_checks_catch_a_planted_fault(fault: str, rendered: dict[str, bytes], guidance: Guidance) -> None:
    with pikepdf.open(io.BytesIO(rendered[f"{guidance.id}.pdf"])) as doc:
        FAULTS[fault](doc)
        meta = guidance.metadata
        problems = accessibility_problems(doc, meta.title, meta.language) + unembedded_fonts(doc)
    assert any(fault in problem for problem in problems), problems


def test_bookmarks_follow_the_leaflet(doc: pikepdf.Pdf, guidance: Guidance) -> None:
    with doc.open_outline() as outline:
        top = {item.title: item for item in outline.root}
        assert list(top) == SECTIONS
        groups = [child.title for child in top["Get help now"].children]
    assert groups[0] == guidance.ui[leaflet.URGENCY_HEADING_KEYS["emergency"]]
    assert groups == [g.heading for g in leaflet.build(guidance).get_help_now]


# --- what a reader sees -----------------------------------------------------------


def test_text_holds_every_red_flag_and_thermal_rule(
    written: dict[str, Path], paper: tuple[str, str], guidance: Guidance
) -> None:
    text = " ".join(page_texts(written[paper[0]]))
    missing = [rf.title for rf in guidance.red_flags if rf.title not in text]
    missing += [rule.title for rule in guidance.thermal_rules if rule.title not in text]
    assert not missing


def test_sections_come_in_the_leaflet_order(
    written: dict[str, Path], paper: tuple[str, str], guidance: Guidance
) -> None:
    lines = [line.strip() for page in page_texts(written[paper[0]], flat=False) for line in page.splitlines()]
    headings = [line for line in lines if line in SECTIONS]
    assert headings == SECTIONS, "each section heading once, in the leaflet's order"
    text = " ".join(lines)
    emergency = [rf.title for rf in guidance.red_flags if rf.urgency == "emergency"]
    urgent = [rf.title for rf in guidance.red_flags if rf.urgency == "urgent"]
    assert max(text.find(t) for t in emergency) < min(text.find(t) for t in urgent)
    thermal = [text.find(rule.title) for rule in guidance.thermal_by_priority()]
    assert thermal == sorted(thermal), "ice-or-heat rows must keep the priority order"


def test_every_page_has_footer_and_number(
    written: dict[str, Path], paper: tuple[str, str], guidance: Guidance
) -> None:
    meta = guidance.metadata
    pages = page_texts(written[paper[0]])
    disclaimer = " ".join(meta.disclaimer.split())
    reviewed = f"Last reviewed {meta.last_review_date.day} {meta.last_review_date:%B %Y}"
    for number, text in enumerate(pages, 1):
        assert f"Version {meta.version}" in text
        assert reviewed in text
        assert disclaimer in text
        assert f"Page {number} of {len(pages)}" in text


def test_page_images_are_saved(written: dict[str, Path], paper: tuple[str, str]) -> None:
    name = paper[0]
    folder = artifacts_dir()
    stem = Path(name).stem
    for old in folder.glob(f"{stem}-*.png"):
        old.unlink()
    shutil.copyfile(written[name], folder / name)
    subprocess.run(
        [poppler("pdftoppm"), "-png", "-r", "60", str(written[name]), str(folder / stem)],
        check=True,
        capture_output=True,
    )
    images = sorted(folder.glob(f"{stem}-*.png"))
    with pikepdf.open(written[name]) as opened:
        assert len(images) == len(opened.pages)
    assert all(image.read_bytes().startswith(b"\x89PNG") for image in images)


# --- content is data, never code -------------------------------------------------


@pytest.fixture(scope="module")
def markup_guidance(tmp_path_factory: pytest.TempPathFactory, guidance: Guidance) -> Guidance:
    """A copy of the shipped guidance with Typst markup in titles, advice and instructions."""
    folder = tmp_path_factory.mktemp("markup") / guidance.id
    shutil.copytree(guidance.folder, folder)
    yaml = YAML()
    flags_file = folder / "red_flags.yaml"
    flags = yaml.load(flags_file)
    flags["red_flags"][0]["title"] = MARKUP["flag_title"]
    flags["red_flags"][0]["advice"] = MARKUP["flag_advice"]
    yaml.dump(flags, flags_file)
    thermal_file = folder / "thermal.yaml"
    thermal = yaml.load(thermal_file)
    thermal["rules"][0]["title"] = MARKUP["rule_title"]
    thermal["rules"][0]["instructions"] = MARKUP["rule_instructions"]
    yaml.dump(thermal, thermal_file)
    return kneeguide.load(folder)


def test_markup_in_content_prints_literally(markup_guidance: Guidance, tmp_path: Path) -> None:
    files = pdf.render(markup_guidance)  # a #panic that ran would raise here
    target = tmp_path / f"{markup_guidance.id}.pdf"
    target.write_bytes(files[target.name])
    text = " ".join(page_texts(target))
    for value in MARKUP.values():
        assert value.replace("{emergency_number}", "999") in text
    passwd = Path("/etc/passwd")
    if passwd.exists():
        first_line = passwd.read_text(encoding="utf-8", errors="replace").splitlines()[0]
        assert first_line not in text
    assert "sys.inputs" not in text, "the template's own source was read into the page"


def test_the_literal_check_can_fail(tmp_path: Path) -> None:
    """Markup pasted into a page does not survive as typed, so the check above means something."""
    import typst

    page = tmp_path / "page.typ"
    page.write_text('#set document(title: "t")\n*bold* and $x$\n', encoding="utf-8")
    target = tmp_path / "page.pdf"
    typst.compile(str(page), output=str(target), root=str(tmp_path), ignore_system_fonts=True)
    text = " ".join(page_texts(target))
    assert "bold" in text
    assert "*bold*" not in text


def test_a_regional_language_tag_is_kept(content_copy: Path) -> None:
    yaml = YAML()
    guideline_file = content_copy / "guideline.yaml"
    guideline = yaml.load(guideline_file)
    guideline["guideline"]["language"] = "en-GB"
    yaml.dump(guideline, guideline_file)
    regional = kneeguide.load(content_copy)
    with pikepdf.open(io.BytesIO(pdf.render(regional)[f"{regional.id}.pdf"])) as doc:
        assert accessibility_problems(doc, regional.metadata.title, "en-GB") == []


# --- the short leaflet -----------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "-letter"])
def test_summary_is_two_tagged_pages_signs_first(
    rendered: dict[str, bytes], guidance: Guidance, suffix: str, tmp_path: Path
) -> None:
    from kneeguide_exporters.plan import plan_words

    data = rendered[f"{guidance.id}-summary{suffix}.pdf"]
    with pikepdf.open(io.BytesIO(data)) as doc:
        assert len(doc.pages) == 2
        title = f"{guidance.metadata.title}: {plan_words(guidance)['summary']}"
        assert accessibility_problems(doc, title, guidance.metadata.language) == []
    path = tmp_path / "summary.pdf"
    path.write_bytes(data)
    one, two = page_texts(path)
    for rf in guidance.red_flags:
        assert " ".join(rf.title.split()) in one, rf.id
    for step in (*guidance.relief, *guidance.prevention):
        assert " ".join(step.title.split()) in two, step.id
        assert step.title not in one
    (artifacts_dir() / f"summary{suffix}.pdf").write_bytes(data)


def split_rows(texts: list[str], guidance: Guidance) -> list[str]:
    """Ice-or-heat rows whose instructions or cautions do not end on the page their title is on."""
    problems = []
    for rule in guidance.thermal_by_priority():
        title = " ".join(rule.title.split())
        pages = [i for i, text in enumerate(texts) if title in text]
        if not pages:
            problems.append(f"{rule.id}: title not found")
            continue
        page = texts[pages[-1]]
        for part in (rule.instructions, *(c.text for c in rule.cautions)):
            if " ".join(part.split()) not in page:
                problems.append(f"{rule.id}: row continues past page {pages[-1] + 1}")
                break
    return problems


def test_no_table_row_splits_across_pages(
    written: dict[str, Path], paper: tuple[str, str], guidance: Guidance
) -> None:
    assert split_rows(page_texts(written[paper[0]]), guidance) == []


def test_the_split_row_check_can_fail(guidance: Guidance) -> None:
    rule = guidance.thermal_by_priority()[0]
    words = " ".join(rule.instructions.split()).split(" ")
    half = len(words) // 2
    pages = [f"{rule.title} {' '.join(words[:half])}", " ".join(words[half:])]
    assert f"{rule.id}: row continues past page 1" in split_rows(pages, guidance)
