"""``kneeguide diff``: item changes, exact behaviour changes, version discipline."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from kneeguide import load
from kneeguide.cli import main
from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root

CONTENT = guidance_root() / DEFAULT_GUIDELINE


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def bump(folder: Path, version: str) -> None:
    g = load(folder)
    edit(folder, "guideline.yaml", f"version: {g.version}", f"version: {version}")
    edit(
        folder,
        "guideline.yaml",
        "change_log:\n",
        f"change_log:\n    - version: {version}\n      date: {g.metadata.last_review_date}\n"
        "      summary: Test change.\n      reviewed_by: [Test reviewer]\n",
    )


def ice_rule(folder: Path) -> str:
    g = load(folder)
    return next(r.id for r in g.thermal_by_priority() if r.advice == "ice")


def flip_ice_to_heat(folder: Path) -> str:
    rule = ice_rule(folder)
    text = (folder / "thermal.yaml").read_text("utf-8")
    start = text.index(f"id: {rule}")
    end = start + text[start:].index("advice: ice")
    (folder / "thermal.yaml").write_text(
        text[:end] + "advice: heat" + text[end + len("advice: ice") :], "utf-8"
    )
    return rule


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["diff", *args])
    return code, capsys.readouterr().out


def test_unchanged_content_diffs_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(CONTENT), str(CONTENT), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["items"] == [] and report["behaviour"] == [] and report["problems"] == []
    assert report["ok"] is True


def test_ice_to_heat_is_safety_relevant_and_needs_a_version(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = flip_ice_to_heat(content_copy)
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert {"file": "thermal.yaml", "id": rule, "change": "changed", "fields": ["advice"]} in report["items"]
    heat = [b for b in report["behaviour"] if b["aspect"] == "thermal" and b["safety_relevant"]]
    assert heat, report["behaviour"]
    assert heat[0]["after"].startswith("heat") and not heat[0]["before"].startswith("heat")
    # The example is a real answer set on which the two engines disagree.
    example = heat[0]["answers"]
    assert load(CONTENT).assess(example).thermal.advice != "heat"
    assert load(content_copy).assess(example).thermal.advice == "heat"
    assert any("version is still" in p for p in report["problems"])
    assert any("at least a minor version" in p for p in report["problems"])


def test_a_patch_bump_is_not_enough_for_a_behaviour_change(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flip_ice_to_heat(content_copy)
    major, minor, patch = map(int, load(CONTENT).version.split("."))
    bump(content_copy, f"{major}.{minor}.{patch + 1}")
    code, out = run(capsys, str(CONTENT), str(content_copy))
    assert code == 1
    assert "at least a minor version" in out
    assert "SAFETY-RELEVANT" in out


def test_a_minor_bump_with_a_change_log_passes(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flip_ice_to_heat(content_copy)
    major, minor, _ = map(int, load(CONTENT).version.split("."))
    bump(content_copy, f"{major}.{minor + 1}.0")
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "markdown")
    assert code == 0, out
    assert "Safety-relevant behaviour change" in out
    assert "| `thermal` |" in out


def test_wording_change_needs_a_version_but_is_not_a_behaviour_change(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    g = load(content_copy)
    title = g.red_flags[0].title
    edit(content_copy, "red_flags.yaml", f"title: {title}", f"title: {title} (reworded)")
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["behaviour"] == []
    assert report["items"] == [
        {"file": "red_flags.yaml", "id": g.red_flags[0].id, "change": "changed", "fields": ["title"]}
    ]
    assert any("version is still" in p for p in report["problems"])


def test_removing_a_red_flag_lowers_urgency(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g = load(content_copy)
    flag = next(rf for rf in g.red_flags if rf.urgency == "emergency")
    old = f"condition: {flag.condition}"
    edit(content_copy, "red_flags.yaml", old, f"condition: {flag.condition} and age_years >= 200")
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "json")
    # age_years >= 200 is out of range, so this edit does not even validate.
    assert code == 1
    edit(content_copy, "red_flags.yaml", "and age_years >= 200", "and age_years >= 50")
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "json")
    report = json.loads(out)
    lowered = [b for b in report["behaviour"] if b["aspect"] == "urgency" and b["safety_relevant"]]
    assert lowered and lowered[0]["before"] == "emergency"
    assert lowered[0]["answers"]["age_years"] < 50
    gone = [b for b in report["behaviour"] if b["aspect"] == f"red_flag:{flag.id}"]
    assert gone and gone[0]["safety_relevant"] and gone[0]["after"] == "does not fire"


def test_git_revisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    target = repo / "guidance" / DEFAULT_GUIDELINE
    target.parent.mkdir(parents=True)
    import shutil

    shutil.copytree(CONTENT, target)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "base")
    flip_ice_to_heat(target)
    monkeypatch.chdir(repo)
    code, out = run(capsys, "HEAD", f"guidance/{DEFAULT_GUIDELINE}")
    assert code == 1 and "SAFETY-RELEVANT" in out
    code, out = run(capsys, "HEAD", f"HEAD:guidance/{DEFAULT_GUIDELINE}")
    assert code == 0 and "no changes" in out
    assert main(["diff", "no-such-revision", "HEAD"]) == 2
    assert re.search(r"neither a folder nor a readable git revision", capsys.readouterr().err)
