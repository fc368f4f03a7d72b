"""The HTML leaflet and clinician page: content, structure, safety, and a real browser.

The unit tests read the rendered bytes; the browser tests open them in Debian's
Chromium (driven by playwright) and check what a patient would meet: axe-core
finds no WCAG 2.2 A/AA violation in light or dark mode, nothing is fetched,
nothing scrolls sideways at 320 px, the keyboard path works, markup in the
content stays text, and screenshots are kept for a person to look at.

Browser tests skip only on a developer machine without Chromium, playwright or
axe-core; with ``CI`` set they fail instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from ruamel.yaml import YAML

import kneeguide
from kneeguide.guidance import Guidance
from kneeguide.plugins import PluginHost
from kneeguide.renderers import to_english
from kneeguide_exporters import html as html_exporter

REPO = Path(__file__).resolve().parents[1]
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_URL = 'https://example.org/"><script>alert(1)</script>'


# --- helpers ----------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a page the structure tests look at: tags, attributes, ids, text."""

    def __init__(self, data: bytes) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(data.decode("utf-8"))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for t, attrs in self.tags if t == tag]

    @property
    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if "id" in attrs]

    @property
    def plain(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def pages_of(g: Guidance) -> dict[str, bytes]:
    return html_exporter.render(g)


def leaflet_of(files: dict[str, bytes], g: Guidance) -> bytes:
    return files[f"{g.id}.html"]


def clinician_of(files: dict[str, bytes], g: Guidance) -> bytes:
    return files[f"{g.id}-clinician.html"]


def escaped(text: str) -> str:
    """How Jinja2's autoescape writes ``text`` into the page."""
    return str(markupsafe.escape(text))


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def make_hostile(folder: Path) -> None:
    """Put markup into every kind of text that reaches the page: plain, condition and URL."""

    def guideline(d: Any) -> None:
        d["guideline"]["title"] = f"Knee {SCRIPT} guide"

    def red_flags(d: Any) -> None:
        d["red_flags"][0]["title"] = f"Chest {IMG} pain"
        d["red_flags"][0]["advice"] = f"Call {{emergency_number}} now. {SCRIPT} {IMG}"

    def questions(d: Any) -> None:
        for q in d["questions"]:
            if q.get("when_yes"):
                q["when_yes"] = f"{q['when_yes']} {IMG}"

    def sources(d: Any) -> None:
        d["sources"][0]["url"] = HOSTILE_URL

    def prevention(d: Any) -> None:
        d["steps"][0]["how_to"][0] = f"Stand up. {SCRIPT}"

    edit_yaml(folder / "guideline.yaml", guideline)
    edit_yaml(folder / "red_flags.yaml", red_flags)
    edit_yaml(folder / "questions.yaml", questions)
    edit_yaml(folder / "sources.yaml", sources)
    edit_yaml(folder / "prevention.yaml", prevention)


@pytest.fixture(scope="module")
def files(guidance: Guidance) -> dict[str, bytes]:
    return pages_of(guidance)


@pytest.fixture
def hostile(content_copy: Path) -> Guidance:
    make_hostile(content_copy)
    return kneeguide.load(content_copy)


# --- the plugin ---------------------------------------------------------------------


def test_html_format_is_offered_by_its_entry_point() -> None:
    host = PluginHost.discover()
    provided = host.formats["html"]
    assert provided.plugin == "html"
    assert provided.format.media_type == "text/html"
    assert host.failure_of("html") is None


def test_importing_the_plugin_does_not_import_jinja2() -> None:
    code = "import sys, kneeguide_exporters.html; print('jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_render_writes_the_leaflet_and_the_clinician_page(
    files: dict[str, bytes], guidance: Guidance
) -> None:
    assert sorted(files) == sorted(
        [f"{guidance.id}.html", f"{guidance.id}-summary.html", f"{guidance.id}-clinician.html"]
    )
    for data in files.values():
        assert isinstance(data, bytes)
        assert data.startswith(b"<!DOCTYPE html>\n")
        assert b"\r" not in data


def test_same_content_gives_identical_bytes(files: dict[str, bytes], guidance: Guidance) -> None:
    assert pages_of(guidance) == files
    assert pages_of(kneeguide.load(guidance.folder)) == files


@pytest.mark.slow
def test_identical_bytes_across_processes_and_hash_seeds(files: dict[str, bytes]) -> None:
    code = (
        "import hashlib, json, kneeguide; from kneeguide_exporters.html import render; "
        "print(json.dumps({k: hashlib.sha256(v).hexdigest() for k, v in render(kneeguide.load()).items()}))"
    )
    expected = {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        assert json.loads(out.stdout) == expected


def test_cli_export_html_writes_both_pages(
    tmp_path: Path, guidance: Guidance, files: dict[str, bytes]
) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kneeguide.cli", "export", "html", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data


# --- structure and accessibility in the markup ------------------------------------------


@pytest.mark.parametrize("which", ["leaflet", "clinician"])
def test_page_structure(which: str, files: dict[str, bytes], guidance: Guidance) -> None:
    data = (leaflet_of if which == "leaflet" else clinician_of)(files, guidance)
    page = Page(data)
    assert page.all("html") == [{"lang": guidance.metadata.language, "dir": "ltr"}]
    assert len(page.all("h1")) == 1
    for landmark in ("header", "nav", "main", "footer"):
        assert len(page.all(landmark)) == 1, landmark
    assert page.all("meta")[1] == {"name": "viewport", "content": "width=device-width, initial-scale=1"}
    body_start = [t for t, _ in page.tags].index("body")
    first_tag, first_attrs = page.tags[body_start + 1]
    assert (first_tag, first_attrs.get("href")) == ("a", "#main"), "the skip link comes first"
    assert page.all("main")[0]["id"] == "main"
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    targets = {a["href"][1:] for a in page.all("a") if a.get("href", "").startswith("#")}
    assert targets <= set(page.ids), f"links to missing ids: {targets - set(page.ids)}"
    assert "<title>" in data.decode() and page.all("title")


@pytest.mark.parametrize("which", ["leaflet", "clinician"])
def test_page_is_standalone_and_scriptless(which: str, files: dict[str, bytes], guidance: Guidance) -> None:
    data = (leaflet_of if which == "leaflet" else clinician_of)(files, guidance)
    page = Page(data)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed", "video", "audio", "source", "form"}
    assert page.all("link") == [{"rel": "icon", "href": "data:,"}]
    assert all("src" not in attrs for _, attrs in page.tags)
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    css = data.decode().split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in css and "@import" not in css
    csp = next(m["content"] for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_leaflet_order_is_the_order_a_patient_needs(files: dict[str, bytes], guidance: Guidance) -> None:
    text = leaflet_of(files, guidance).decode()
    sections = re.findall(r'<section (?:class="[^"]*" )?id="([a-z-]+)"', text)
    assert sections == ["get-help", "see-clinician", "during-spasm", "ice-or-heat", "prevention", "sources"]
    assert text.index("Call emergency services now") < text.index("Get medical help today")
    assert (
        text.index('<nav class="toc"')
        < text.index('id="main"')
        < text.index('id="get-help-title">Get help now<')
    )


def test_every_red_flag_appears_with_its_advice_and_only_clinicians_see_its_condition(
    files: dict[str, bytes], guidance: Guidance
) -> None:
    """The generated condition is clinicians' prose: patients read the title and the advice."""
    leaflet, clinician = leaflet_of(files, guidance).decode(), clinician_of(files, guidance).decode()
    questions = {q.id: q for q in guidance.questions}
    titles = {rf.id: rf.title for rf in guidance.red_flags}
    for rf in guidance.red_flags:
        when = escaped(to_english(guidance.source_conditions[rf.id], questions, titles))
        for page in (leaflet, clinician):
            assert escaped(rf.title) in page, rf.id
            assert escaped(rf.advice) in page, rf.id
        assert when in clinician, rf.id
        assert when not in leaflet, rf.id
        assert f'id="rule-{rf.id}"' in clinician
        assert escaped(rf.clinician_note) in clinician
        assert escaped(rf.clinician_note) not in leaflet, "clinician notes stay off the patient leaflet"


def test_every_thermal_rule_appears_in_priority_order(files: dict[str, bytes], guidance: Guidance) -> None:
    leaflet, clinician = leaflet_of(files, guidance).decode(), clinician_of(files, guidance).decode()
    questions = {q.id: q for q in guidance.questions}
    titles = {rf.id: rf.title for rf in guidance.red_flags}
    rows = []
    for rule in guidance.thermal_by_priority():
        assert escaped(rule.instructions) in leaflet, rule.id
        for caution in rule.cautions:
            assert escaped(caution.text) in leaflet, rule.id
        condition = guidance.source_conditions[rule.id]
        if getattr(condition, "value", None) is not True:
            assert rule.for_whom is not None, rule.id
            assert escaped(rule.for_whom) in leaflet, rule.id
            assert escaped(to_english(condition, questions, titles)) in clinician, rule.id
        rows.append(leaflet.index(f'id="thermal-{rule.id}"'))
        assert (
            f'<td><span class="cell-label" aria-hidden="true">Priority</span>{rule.priority}</td>'
            in clinician
        )
        assert escaped(rule.rationale) in clinician
    assert rows == sorted(rows), "the table reads from the highest priority down"


def test_leaflet_says_who_advice_is_for_in_plain_words(files: dict[str, bytes], guidance: Guidance) -> None:
    """Patients read the content's plain 'who it is for', never the generated English of a gated condition."""
    leaflet, clinician = leaflet_of(files, guidance).decode(), clinician_of(files, guidance).decode()
    questions = {q.id: q for q in guidance.questions}
    titles = {rf.id: rf.title for rf in guidance.red_flags}
    assert "Use this if" not in leaflet and "This may help if" not in leaflet
    items = [(f"step-{s.id}", '<li class="card"', s) for s in (*guidance.relief, *guidance.prevention)]
    items += [(f"thermal-{r.id}", "</tr>", r) for r in guidance.thermal_rules]
    for anchor, end, item in items:
        condition = guidance.source_conditions[item.id]
        if getattr(condition, "value", None) is True:
            continue
        start = leaflet.index(f'id="{anchor}"')
        stops = [i for i in (leaflet.find(end, start), leaflet.find("</section>", start)) if i >= 0]
        shown = leaflet[start : min(stops)]
        assert item.for_whom and escaped(item.for_whom) in shown, item.id
        english = escaped(to_english(condition, questions, titles))
        assert english not in shown, f"{item.id}: generated condition English on the patient leaflet"
        assert english in clinician, f"{item.id}: the clinician page keeps the condition"


def test_steps_are_numbered_and_in_order(files: dict[str, bytes], guidance: Guidance) -> None:
    leaflet = leaflet_of(files, guidance).decode()
    for step in (*guidance.relief, *guidance.prevention):
        start = leaflet.index(f'id="step-{step.id}"')
        card = leaflet[start : leaflet.index("</ol>", start)]
        assert escaped(step.title) in card and escaped(step.text) in card, step.id
        if step.how_to:
            assert '<ol class="how-to"' in card
            positions = [card.index(f"<li>{escaped(line)}</li>") for line in step.how_to]
            assert positions == sorted(positions), step.id


def test_sources_versions_dates_disclaimer_and_hazards(files: dict[str, bytes], guidance: Guidance) -> None:
    leaflet, clinician = leaflet_of(files, guidance).decode(), clinician_of(files, guidance).decode()
    m = guidance.metadata
    items = (*guidance.red_flags, *guidance.thermal_rules, *guidance.relief, *guidance.prevention)
    cited = {s for item in items for s in item.sources}
    cited |= {s for rule in guidance.thermal_rules for c in rule.cautions for s in c.sources}
    assert cited
    for page in (leaflet, clinician):
        for source_id in cited:
            assert f'href="{escaped(guidance.sources[source_id].url)}"' in page, source_id
        assert f"<dd>{m.version}</dd>" in page
        for day in (m.approval_date, m.last_review_date, m.next_review_due):
            assert f'<time datetime="{day.isoformat()}">{day.day} {day:%B} {day.year}</time>' in page
        assert escaped(m.disclaimer) in page
    for hazard in guidance.hazards:
        assert f'id="hazard-{hazard.id}"' in clinician
        assert escaped(hazard.hazard) in clinician
        assert escaped(hazard.verification) in clinician


def test_citations_point_at_numbered_sources(files: dict[str, bytes], guidance: Guidance) -> None:
    for data in files.values():
        page = Page(data)
        cited = {a["href"] for a in page.all("a") if a.get("href", "").startswith("#source-")}
        numbered = {f"#{i}" for i in page.ids if i.startswith("source-")}
        assert cited == numbered, "every listed source is cited, and every citation is listed"


def test_markup_in_content_is_escaped_everywhere(hostile: Guidance) -> None:
    for name, data in pages_of(hostile).items():
        text = data.decode()
        page = Page(data)
        assert SCRIPT not in text and IMG not in text, name
        assert not {"script", "img"} & {t for t, _ in page.tags}, name
        assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs), name
        assert escaped(SCRIPT) in text and escaped(IMG) in text, name
        assert SCRIPT in page.plain and IMG in page.plain, "the reader sees the markup as text"
        if not name.endswith("-summary.html"):  # the summary lists no sources
            assert HOSTILE_URL in [a.get("href") for a in page.all("a")], "the URL stays one attribute value"
        assert page.plain.count("Knee <script>alert(1)</script> guide") >= 2, "title and h1"


# --- packaging ---------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_ships_the_templates(tmp_path: Path) -> None:
    """Templates and CSS load through PackageLoader, so the wheel must carry them."""
    # Without hatchling installed, build fetches it into an isolated environment.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", *isolation, "-o", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = REPO / "exporters" / "kneeguide_exporters" / "templates"
    for path in templates.iterdir():
        if path.suffix in (".j2", ".css"):
            assert f"kneeguide_exporters/templates/{path.name}" in names
    assert "kneeguide_exporters/html.py" in names


# --- in a real browser --------------------------------------------------------------------

CHROMIUM = Path(os.environ.get("KNEEGUIDE_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("KNEEGUIDE_ARTIFACTS") or REPO / "tests" / "artifacts")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium chromium-driver)"
    if not AXE.exists():
        return f"axe-core is not installed at {AXE} (npm ci --prefix tests/browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the whole module; in CI a missing browser is a failure, never a skip."""
    missing = _browser_missing()
    if missing:
        if _in_ci():
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, files: dict[str, bytes]) -> dict[str, Path]:
    """The two pages written to disk, keyed ``leaflet`` and ``clinician``."""
    folder = tmp_path_factory.mktemp("html")
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        kind = next((k for k in ("clinician", "summary") if name.endswith(f"-{k}.html")), "leaflet")
        paths[kind] = folder / name
    return paths


def open_page(browser: Any, path: Path, *, viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="load")
    return page


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -- {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    at {', '.join(node['target'])}: {node['failureSummary']}".replace("\n", " "))
            lines.append(f"       {node['html'][:160]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.mark.browser
@pytest.mark.parametrize("which", ["leaflet", "summary", "clinician"])
@pytest.mark.parametrize(
    ("scheme", "viewport"),
    [("light", DESKTOP), ("light", PHONE), ("dark", DESKTOP), ("dark", PHONE)],
    ids=["light-desktop", "light-phone", "dark-desktop", "dark-phone"],
)
def test_axe_finds_no_wcag_22_aa_violation(
    browser: Any, exported: dict[str, Path], which: str, scheme: str, viewport: dict[str, int]
) -> None:
    # bypass_csp lets axe's script in; the page's own policy would (rightly) refuse it.
    page = open_page(browser, exported[which], viewport=viewport, color_scheme=scheme, bypass_csp=True)
    try:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
    finally:
        page.context.close()
    assert result["testEngine"]["version"], "axe ran"
    assert len(result["passes"]) > 10, "axe checked the page"
    violations = result["violations"]
    assert not violations, f"{len(violations)} axe violation(s) in {which} ({scheme}):\n" + format_violations(
        violations
    )


@pytest.mark.browser
@pytest.mark.parametrize("which", ["leaflet", "summary", "clinician"])
def test_page_makes_no_network_request(browser: Any, exported: dict[str, Path], which: str) -> None:
    context = browser.new_context(viewport=PHONE)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        page = context.new_page()
        page.goto(exported[which].as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.emulate_media(media="screen", color_scheme="dark")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.mouse.wheel(0, 5000)
        resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    finally:
        context.close()
    assert requests == [exported[which].as_uri()]
    assert resources == []


@pytest.mark.browser
@pytest.mark.parametrize("which", ["leaflet", "summary", "clinician"])
@pytest.mark.parametrize("width", [320, 640], ids=["320px", "200pc-zoom"])
def test_no_horizontal_scroll(browser: Any, exported: dict[str, Path], which: str, width: int) -> None:
    """320 CSS px is WCAG's reflow width; 640 is a 1280 px screen at 200% zoom."""
    page = open_page(browser, exported[which], viewport={"width": width, "height": 800})
    try:
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " Math.max(...[...document.body.querySelectorAll('*')]"
            ".map(e => e.getBoundingClientRect().right))]"
        )
    finally:
        page.context.close()
    scroll_width, client_width, rightmost = sizes
    assert scroll_width <= client_width, (
        f"{which} scrolls sideways at {width}px: {scroll_width} > {client_width}"
    )
    assert rightmost <= client_width + 0.5, f"something sticks out at {width}px (right edge {rightmost})"


@pytest.mark.browser
def test_leaflet_text_is_at_least_16px(browser: Any, exported: dict[str, Path]) -> None:
    page = open_page(browser, exported["leaflet"], viewport=PHONE)
    try:
        smallest = page.evaluate(
            """() => {
              const sizes = [];
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              while (walker.nextNode()) {
                const el = walker.currentNode.parentElement;
                if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
                if (el.closest('.visually-hidden, .skip-link')) continue;
                sizes.push([parseFloat(getComputedStyle(el).fontSize), el.tagName]);
              }
              return sizes.sort((a, b) => a[0] - b[0])[0];
            }"""
        )
    finally:
        page.context.close()
    assert smallest[0] >= 16, f"text in <{smallest[1]}> is {smallest[0]}px"


@pytest.mark.browser
@pytest.mark.parametrize("which", ["leaflet", "clinician"])
def test_keyboard_skip_link_and_visible_focus(browser: Any, exported: dict[str, Path], which: str) -> None:
    page = open_page(browser, exported[which], viewport=PHONE)
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const el = document.activeElement, s = getComputedStyle(el), r = el.getBoundingClientRect();
              return {href: el.getAttribute('href'), outline: s.outlineStyle,
                      width: parseFloat(s.outlineWidth), top: r.top, height: r.height};
            }"""
        )
        page.keyboard.press("Enter")
        active = page.evaluate("document.activeElement.id")
        page.keyboard.press("Tab")
        next_link = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"
        )
    finally:
        page.context.close()
    assert focused["href"] == "#main"
    assert focused["top"] >= 0 and focused["height"] >= 24, "the skip link shows when focused"
    assert focused["outline"] != "none" and focused["width"] >= 2
    assert active == "main", "the skip link moves focus to the main content"
    assert next_link[0] in ("A", "SUMMARY"), "the next stop is a link or a folded warning sign"
    assert next_link[1] != "none" and next_link[2] >= 2, "focus stays visible"


@pytest.mark.browser
def test_print_stylesheet_drops_navigation(browser: Any, exported: dict[str, Path]) -> None:
    page = open_page(browser, exported["leaflet"])
    try:
        page.emulate_media(media="print")
        printed = page.evaluate(
            "() => [getComputedStyle(document.querySelector('nav')).display,"
            " getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
        )
        pdf = page.pdf(format="A4")
    finally:
        page.context.close()
    assert printed == ["none", "rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    assert pdf.startswith(b"%PDF")


@pytest.mark.browser
@pytest.mark.parametrize("which", ["leaflet", "clinician"])
def test_hostile_markup_is_shown_as_text_and_never_runs(
    browser: Any, hostile: Guidance, tmp_path: Path, which: str
) -> None:
    name = f"{hostile.id}-clinician.html" if which == "clinician" else f"{hostile.id}.html"
    path = tmp_path / name
    path.write_bytes(pages_of(hostile)[name])
    # Without the page's CSP, so this proves the escaping itself, not the policy.
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    dialogs: list[str] = []
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        found = page.evaluate(
            """() => ({
              scripts: document.scripts.length,
              images: document.images.length,
              handlers: [...document.querySelectorAll('*')].filter(
                e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
              h1: document.querySelector('h1').textContent,
              text: document.body.innerText,
            })"""
        )
    finally:
        context.close()
    assert dialogs == [] and errors == []
    assert (found["scripts"], found["images"], found["handlers"]) == (0, 0, 0)
    assert found["h1"].startswith(f"Knee {SCRIPT} guide")
    assert SCRIPT in found["text"] and IMG in found["text"]


@pytest.mark.browser
@pytest.mark.parametrize("which", ["leaflet", "summary", "clinician"])
def test_screenshots_for_people_to_look_at(browser: Any, exported: dict[str, Path], which: str) -> None:
    """The first screen at 390 px (a phone) and 1280 px, light and dark, plus the whole page in light.

    The whole page at the width its readers use: a phone for the patient
    pages, a desktop for the clinician page (at 390 px it is 80,000 pixels
    tall, and taking it cost more than every other screenshot together).
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    written = []
    whole_at = "1280" if which == "clinician" else "390"
    for label, viewport, scheme in (
        ("390", PHONE, "light"),
        ("1280", DESKTOP, "light"),
        ("390-dark", PHONE, "dark"),
        ("1280-dark", DESKTOP, "dark"),
    ):
        whole = label == whole_at
        page = open_page(browser, exported[which], viewport=viewport, color_scheme=scheme)
        try:
            written.append(ARTIFACTS / f"html-{which}-{label}.png")
            page.screenshot(path=str(written[-1]))
            if whole:
                written.append(ARTIFACTS / f"html-{which}-{label}-full.png")
                page.screenshot(path=str(written[-1]), full_page=True)
        finally:
            page.context.close()
    for png in written:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_browser_tests_cannot_skip_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The skip rule itself: CI set means a missing browser fails the run."""
    monkeypatch.setenv("CI", "true")
    assert _in_ci()
    for off in ("", "0", "false"):
        monkeypatch.setenv("CI", off)
        assert not _in_ci()
    monkeypatch.delenv("CI")
    assert not _in_ci()


def test_warning_signs_show_title_and_advice_and_fold_the_rest(
    files: dict[str, bytes], guidance: Guidance
) -> None:
    """A reader scans title and "do this"; the sources are one tap away."""
    text = leaflet_of(files, guidance).decode()
    for rf in guidance.red_flags:
        item = text.split(f'id="flag-{rf.id}"', 1)[1].split("</li>", 1)[0]
        shown, folded = item.split("<details", 1)
        assert escaped(rf.title) in shown and escaped(" ".join(rf.advice.split())) in shown, rf.id
        assert "Where this advice comes from" in folded and 'href="#source-' in folded, rf.id
        assert "Where this advice comes from" not in shown, rf.id
