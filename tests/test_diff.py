"""``kneeguide diff``: item changes, exact behaviour changes, version discipline."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

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
    changed = [i for i in report["items"] if i["id"] == rule]
    assert [(i["file"], i["change"], i["fields"]) for i in changed] == [
        ("thermal.yaml", "changed", ["advice"])
    ]
    assert "instructions: " in changed[0]["advice"], "the reviewer sees the words patients read"
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
    assert [(i["file"], i["id"], i["change"], i["fields"]) for i in report["items"]] == [
        ("red_flags.yaml", g.red_flags[0].id, "changed", ["title"])
    ]
    assert f"title: {title} (reworded)" in report["items"][0]["advice"]
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


def _set_range(folder: Path, qid: str, lo: int, hi: int) -> None:
    yaml = YAML()
    path = folder / "questions.yaml"
    data = yaml.load(path.read_text("utf-8"))
    q = next(q for q in data["questions"] if q["id"] == qid)
    q["minimum"], q["maximum"] = lo, hi
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def test_a_widened_range_is_compared_exactly_without_a_traceback(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_range(content_copy, "pain_score", 0, 15)
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "json")
    report = json.loads(out)
    assert "exactly" in report["behaviour_note"]
    assert report["behaviour"] == []  # nothing changes for answers both versions accept
    assert report["breaking"] == []
    assert code == 1 and any("version is still" in p for p in report["problems"])


def test_a_narrowed_range_is_breaking_and_its_behaviour_change_is_found(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    g = load(content_copy)
    cut = next(
        n.value
        for rf in g.red_flags
        for n in _walk(g.conditions[rf.id])
        if getattr(n, "question", None) == "pain_score" and getattr(n, "op", None) == ">="
    )
    edit_threshold = f"pain_score >= {cut}"
    text = (content_copy / "red_flags.yaml").read_text("utf-8")
    assert edit_threshold in text
    (content_copy / "red_flags.yaml").write_text(
        text.replace(edit_threshold, f"pain_score >= {cut + 1}"), "utf-8"
    )
    _set_range(content_copy, "pain_score", 1, 10)
    major, minor, _ = map(int, load(CONTENT).version.split("."))
    bump(content_copy, f"{major}.{minor + 1}.0")
    code, out = run(capsys, str(CONTENT), str(content_copy), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert any("pain_score" in b and "narrowed" in b for b in report["breaking"])
    assert any("major version" in p for p in report["problems"])
    moved = [b for b in report["behaviour"] if b["answers"].get("pain_score") == cut]
    assert moved, "the threshold move is found on answers both versions accept"


def test_a_new_required_question_needs_a_major_version(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yaml = YAML()
    path = content_copy / "questions.yaml"
    data = yaml.load(path.read_text("utf-8"))
    data["questions"].append(
        {
            "id": "new_finding",
            "type": "boolean",
            "text": "Is there a new finding?",
            "help": "Say yes if so.",
            "when_yes": "there is a new finding",
            "when_no": "there is no new finding",
            "worsens_note": "Asked for tests only.",
        }
    )
    data["ask_order"].append("new_finding")
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    major, minor, _ = map(int, load(CONTENT).version.split("."))
    bump(content_copy, f"{major}.{minor + 1}.0")
    code, out = run(capsys, str(CONTENT), str(content_copy))
    assert code == 1
    assert "a new required question 'new_finding' was added" in out
    assert f"{major + 1}.0.0" in out


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "operands", ()) or ((node.operand,) if hasattr(node, "operand") else ()):
        yield from _walk(child)
