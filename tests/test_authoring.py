"""What a content author meets: documented codes, exact positions, reporters, and which folder is checked."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kneeguide.cli import main
from kneeguide.diagnostics import format_path
from kneeguide.hints import closest
from kneeguide.reporters import REPORTERS, formats_of
from kneeguide.yamlsource import author_words, read_yaml

REPO = Path(__file__).resolve().parents[1]
BASE = Path(__file__).parent / "content_examples" / "base"
PACKAGED = REPO / "guidance" / "knee-muscle-spasm"
_CODE = re.compile(r'\bcode(?::\s*str)?\s*=\s*"([a-z][a-z0-9-]*)"')


_LOCALE_CODE = re.compile(r"^``([a-z][a-z0-9-]*)`` {2,}", re.M)
_ANSWER_CODES = ("answer_checks.py", "answer_problem.py", "errors.py")
"""Where answer problems get their codes: apps' codes (contracts), not content diagnostics."""


def _emitted_codes() -> set[str]:
    found: set[str] = set()
    for root in (REPO / "src", REPO / "exporters"):
        for path in root.rglob("*.py"):
            if path.name not in _ANSWER_CODES:
                found.update(_CODE.findall(path.read_text("utf-8")))
    # The locale checks pass their code by position; their docstring lists every one.
    checks = (REPO / "src" / "kneeguide" / "localisation" / "checks.py").read_text("utf-8")
    found.update(_LOCALE_CODE.findall(checks.split('"""')[1]))
    return found


def _documented_codes() -> set[str]:
    return set(
        re.findall(r"^### `([a-z][a-z0-9-]*)`$", (REPO / "docs" / "diagnostics.md").read_text("utf-8"), re.M)
    )


def test_every_code_the_code_base_can_emit_is_documented() -> None:
    emitted = _emitted_codes()
    assert {"yaml-syntax", "unknown-question", "red-flag-cycle", "claim"} <= emitted  # the scan sees them
    missing = sorted(emitted - _documented_codes())
    assert not missing, f"codes without a section in docs/diagnostics.md: {missing}"


def test_every_documented_code_exists() -> None:
    stale = sorted(_documented_codes() - _emitted_codes())
    assert not stale, f"docs/diagnostics.md documents codes nothing emits: {stale}"


def test_every_diagnostic_made_in_the_code_base_names_its_code() -> None:
    """The default code ('content') is for hosts: kneeguide's own diagnostics name a specific one."""
    for path in (REPO / "src").rglob("*.py"):
        text = path.read_text("utf-8")
        for m in re.finditer(r"\bDiagnostic\(", text):
            call = text[m.end() : m.end() + 400]
            depth, end = 1, 0
            while depth and end < len(call):
                depth += {"(": 1, ")": -1}.get(call[end], 0)
                end += 1
            assert "code=" in call[:end], f"{path.name}: Diagnostic(...) without code= at {call[:80]!r}"


# --- positions inside text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml", "word", "line", "column"),
    [
        ("c: >-\n  swollen and\n  pain_scor >= 3\n", "pain_scor", 3, 3),
        ("c: |\n    a and\n      b or\n    zed\n", "zed", 4, 5),
        ("c: plain text that\n  runs on here\n", "here", 2, 11),
        ('c: "quoted text that\n  runs on here"\n', "here", 2, 11),
        ("c: one line\n", "line", 1, 8),
        ("c: 'it''s here'\n", "here", None, None),  # an escape: no faithful column
        ("c: >-  # a comment on the header\n  x and yy\n", "yy", 2, 9),
    ],
)
def test_a_character_inside_a_text_maps_to_its_line_and_column(
    tmp_path: Path, yaml: str, word: str, line: int | None, column: int | None
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(yaml, encoding="utf-8")
    doc = read_yaml(path)
    position = doc.text_position(("c",), doc.data["c"].index(word))
    assert position == (None if line is None else (line, column))


def test_the_end_of_a_condition_maps_just_after_its_last_character(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("c: >-\n  swollen and\n", encoding="utf-8")
    doc = read_yaml(path)
    assert doc.text_position(("c",), len(doc.data["c"])) == (2, 14)


def test_field_paths_name_items_by_id_unless_the_id_is_unusable() -> None:
    data = {
        "red_flags": [{"id": "a"}, {"id": "possible_dvt", "sources": ["s"]}, {"id": "Bad-Id"}, {"id": "a"}]
    }
    assert format_path(("red_flags", 1, "sources", 0), data) == "red_flags[possible_dvt].sources[0]"
    assert format_path(("red_flags", 2, "id"), data) == "red_flags[2].id"
    assert format_path(("red_flags", 0), data) == "red_flags[0]"  # 'a' is used twice
    assert format_path(("red_flags", 1)) == "red_flags[1]"


def test_a_hint_is_given_only_when_one_name_is_clearly_meant() -> None:
    assert closest("cannot_bear_wieght", ["cannot_bear_weight", "calf_pain"]) == "cannot_bear_weight"
    assert closest("source_x", ["source_a", "source_b"]) is None
    assert closest("zzz", ["urgency"]) is None


def test_raw_parser_messages_are_translated_and_kept() -> None:
    said = author_words("mapping values are not allowed here")
    assert said.startswith("a colon followed by a space") and said.endswith("not allowed here)")
    assert author_words("something new") == "something new"


# --- reporters ---------------------------------------------------------------------------------


def test_every_reporting_command_offers_text_json_and_github() -> None:
    assert set(REPORTERS) == {"validate", "verify", "diff", "formats"}
    for command in REPORTERS:
        assert {"text", "json", "github"} <= set(formats_of(command))


def _broken_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "knee"
    shutil.copytree(PACKAGED, folder)
    rf = folder / "red_flags.yaml"
    rf.write_text(
        rf.read_text("utf-8").replace("condition: chest_pain_or_breathless\n", "condition: chest_pain\n")
    )
    return folder


def test_verify_github_on_invalid_content_prints_annotations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _broken_copy(tmp_path)
    assert main(["verify", str(folder), "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"::error file={folder / 'red_flags.yaml'},line=")
    assert "title=unknown-question red_flags[" in out and "unknown question 'chest_pain'" in out


def test_verify_json_on_invalid_content_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _broken_copy(tmp_path)
    assert main(["verify", str(folder), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["diagnostics"][0]["code"] == "unknown-question"


def test_diff_github_annotates_the_changed_item_and_the_version_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = tmp_path / "head"
    shutil.copytree(PACKAGED, head)
    rf = head / "red_flags.yaml"
    text = rf.read_text("utf-8")
    title = re.search(r"^    title: (.+)$", text, re.M)
    assert title is not None
    rf.write_text(text.replace(title.group(0), title.group(0) + " now", 1), encoding="utf-8")
    assert main(["diff", str(PACKAGED), str(head), "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^::error title=kneeguide diff .*::.*version", out, re.M), out
    line = text[: text.index(title.group(0))].count("\n")  # the id sits on the line above the title
    assert f"::notice file={rf},line={line},title=" in out, out


def test_formats_github_ends_with_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["formats", "--format", "github"]) == 0
    assert capsys.readouterr().out.startswith("::notice title=kneeguide formats::formats available: ")


# --- which folders are checked -------------------------------------------------------------------


def test_files_are_checked_once_per_guideline_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "guidance" / "one"
    shutil.copytree(BASE, folder)
    files = [str(folder / "red_flags.yaml"), str(folder / "thermal.yaml"), str(folder)]
    assert main(["validate", *files, "--format", "json", "--today", "2026-11-20"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"].count("is valid") == 1


def test_a_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nothing.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_with_no_path_the_guidance_here_is_checked_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a content repository the local guidance, not the installed package's, is checked."""
    folder = tmp_path / "guidance" / "knee"
    shutil.copytree(BASE, folder)
    rf = folder / "red_flags.yaml"
    rf.write_text(
        rf.read_text("utf-8").replace("condition: swollen\n", "condition: swolen\n"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--today", "2026-11-20"]) == 1
    out, err = capsys.readouterr()
    assert "guidance/knee/red_flags.yaml:6:16" in out and "did you mean 'swollen'" in out
    assert "kneeguide: note: using the guidance in ./guidance (guidance/knee)" in err


def test_export_with_several_local_guidelines_asks_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        shutil.copytree(BASE, tmp_path / "guidance" / name)
    monkeypatch.chdir(tmp_path)
    assert main(["export", "fhir", "-o", str(tmp_path / "out")]) == 2
    assert (
        "several guidelines (guidance/a, guidance/b); name one with --guidance DIR" in capsys.readouterr().err
    )


def test_export_uses_the_local_guideline_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(BASE, tmp_path / "guidance" / "only")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "fhir", "-o", "out"]) == 0
    err = capsys.readouterr().err
    assert "using the guidance in ./guidance (guidance/only)" in err
    written = list((tmp_path / "out").rglob("*.json"))
    assert any("example-guideline" in p.read_text("utf-8") for p in written), written


# --- the docs stand alone ----------------------------------------------------------------------


def test_every_relative_link_in_the_docs_resolves() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text("utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.name}: {target}")
    assert not broken, broken


def test_the_ci_docs_install_from_the_repository_not_a_package_index() -> None:
    text = (REPO / "docs" / "ci.md").read_text("utf-8") + (REPO / "README.md").read_text("utf-8")
    assert not re.search(r"pip install '?kneeguide\b", text), "kneeguide is not published on an index"
    assert "rev: v1.0.0" not in text
