"""Content examples: the valid base passes, and each negative case is caught.

Every file in ``content_examples/negative/`` describes one mistake as a small
edit of the valid ``content_examples/base/`` guideline, and where the error
must be reported.  The expected line is found from the ``at`` text in the
edited file, so each case pins the exact place an author is sent to.  A case
may also name the diagnostic ``code``, and ``only: true`` when the mistake
must give exactly one error (no follow-on errors, no duplicates).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kneeguide.cli import main
from kneeguide.loader import check
from yaml_data import load_data

HERE = Path(__file__).parent / "content_examples"
BASE = HERE / "base"
TODAY = dt.date(2026, 11, 20)
NEGATIVE = sorted((HERE / "negative").glob("*.yaml"))


def _read_case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = load_data(path)
    return case


def apply_case(case: dict[str, Any], folder: Path) -> Path:
    """Apply a negative case's edit to a copy of the base guideline."""
    shutil.copytree(BASE, folder)
    target = folder / case["file"]
    if "rename" in case:
        target.rename(folder / case["rename"])
    elif case.get("delete"):
        target.unlink()
    elif "write" in case:
        target.write_text(case["write"], encoding="utf-8")
    elif "write_hex" in case:
        target.write_bytes(bytes.fromhex(case["write_hex"]))
    else:
        text = target.read_text("utf-8")
        for edit in (case, case.get("also") or {}):
            if not edit:
                continue
            assert edit["replace"] in text, (
                f"case no longer applies: {edit['replace']!r} not in {case['file']}"
            )
            text = text.replace(edit["replace"], edit["with"], 1)
        target.write_text(text, encoding="utf-8")
    return target


def expected_position(case: dict[str, Any], folder: Path) -> tuple[int | None, int | None]:
    expect = case["expect"]
    if "at" not in expect:
        return expect.get("line"), None
    text = (folder / expect["file"]).read_text("utf-8")
    index = text.index(expect["at"])
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, (column if expect.get("column") else None)


def test_base_example_is_valid() -> None:
    result = check(BASE, today=TODAY)
    assert result.diagnostics == []
    assert result.guidance is not None
    assert result.guidance.digest.startswith("sha256:")


def test_shipped_content_is_valid() -> None:
    from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root

    result = check(guidance_root() / DEFAULT_GUIDELINE, today=TODAY)
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    assert result.guidance is not None


def test_there_are_enough_negative_cases() -> None:
    assert len(NEGATIVE) >= 25


@pytest.mark.parametrize("case_file", NEGATIVE, ids=[p.stem for p in NEGATIVE])
def test_negative_case(case_file: Path, tmp_path: Path) -> None:
    case = _read_case(case_file)
    folder = tmp_path / "guideline"
    apply_case(case, folder)
    result = check(folder, today=TODAY)
    assert result.guidance is None, "the broken content was accepted"
    expect = case["expect"]
    line, column = expected_position(case, folder)
    matches = [
        d for d in result.errors if Path(d.file).name == expect["file"] and expect["message"] in d.message
    ]
    shown = "\n".join(f"{d.location} [{d.field}] {d.message}" for d in result.diagnostics)
    assert matches, f"no error mentioning {expect['message']!r} in {expect['file']}; got:\n{shown}"
    if line is not None:
        assert any(d.line == line for d in matches), f"expected line {line}; got:\n{shown}"
    if column is not None:
        assert any(d.line == line and d.column == column for d in matches), (
            f"expected {line}:{column}; got:\n{shown}"
        )
    if "field" in expect:
        assert any(d.field == expect["field"] for d in matches), (
            f"expected field {expect['field']}; got:\n{shown}"
        )
    if "code" in expect:
        assert any(d.code == expect["code"] for d in matches), (
            f"expected code {expect['code']}; got:\n{shown}"
        )
    if expect.get("only"):
        assert len(result.errors) == 1, f"one mistake, one error; got:\n{shown}"
    assert all(d.code != "content" for d in result.diagnostics), (
        f"a diagnostic without its own code:\n{shown}"
    )


CLI_CASES = ["unknown_question", "custom_tag", "binary_file", "duplicate_key"]


@pytest.mark.parametrize("name", CLI_CASES)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_cli_reports_every_format_without_traceback(
    name: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _read_case(HERE / "negative" / f"{name}.yaml")
    folder = tmp_path / "guideline"
    apply_case(case, folder)
    code = main(["validate", str(folder), "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    line, _ = expected_position(case, folder)
    if fmt == "json":
        report = json.loads(out)
        assert report["valid"] is False
        assert any(case["expect"]["message"] in d["message"] for d in report["diagnostics"])
        if line:
            assert any(d["line"] == line for d in report["diagnostics"])
    elif fmt == "github":
        assert out.startswith("::error file=")
        if line:
            assert f",line={line}," in out
    else:
        assert case["expect"]["message"] in out
        if line:
            assert f"{case['expect']['file']}:{line}:" in out


def test_every_error_is_collected_not_just_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "guideline"
    shutil.copytree(BASE, folder)
    rf = folder / "red_flags.yaml"
    rf.write_text(rf.read_text("utf-8").replace("urgency: soon", "urgency: later"), encoding="utf-8")
    th = folder / "thermal.yaml"
    th.write_text(th.read_text("utf-8").replace("priority: 0", "priority: -1"), encoding="utf-8")
    messages = " | ".join(d.message for d in check(folder, today=TODAY).errors)
    assert "'later' is not one of" in messages
    assert "-1 is less than the minimum of 0" in messages


def test_every_semantic_error_is_collected(tmp_path: Path) -> None:
    folder = tmp_path / "guideline"
    shutil.copytree(BASE, folder)
    rf = folder / "red_flags.yaml"
    rf.write_text(
        rf.read_text("utf-8").replace("condition: swollen\n", "condition: swolen\n"), encoding="utf-8"
    )
    rel = folder / "relief.yaml"
    rel.write_text(rel.read_text("utf-8").replace("source_b", "source_q"), encoding="utf-8")
    messages = " | ".join(d.message for d in check(folder, today=TODAY).errors)
    assert "unknown question 'swolen'" in messages
    assert "unknown source 'source_q'" in messages


def test_review_due_soon_is_a_warning_with_a_configurable_window(tmp_path: Path) -> None:
    folder = tmp_path / "guideline"
    shutil.copytree(BASE, folder)
    soon = check(folder, today=dt.date(2029, 12, 20))
    assert soon.ok
    assert [d.severity for d in soon.diagnostics] == ["warning"]
    assert "within 30 days" in soon.diagnostics[0].message
    assert check(folder, today=dt.date(2029, 12, 20), review_warning_days=10).diagnostics == []


def test_validate_reports_the_reading_grade(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BASE)]) == 0
    out = capsys.readouterr().out
    assert "is valid" in out and "patient text at SMOG grade" in out and "(limit 8.0)" in out
