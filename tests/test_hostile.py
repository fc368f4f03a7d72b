"""Hostile input: content from pull requests, answers from apps, plugins from third parties.

The cases live as data in ``tests/hostile/`` (one YAML index per kind, each
case with its expected outcome); this module builds each one and checks the
outcome promised by contracts.md: exit 1 for bad content, exit 2 for bad
answers, bad output paths and broken plugins, always a clear message, never
a traceback, never a hang, never code run, never a partial file left behind.

Cases that could hang or crash the interpreter (a FIFO, an endless device,
half a megabyte of ``[``, a tag that would run a command) run the real
command line in a fresh interpreter under a generous timeout that stands
for "hangs"; the rest call ``kneeguide.cli.main`` in-process.  A hypothesis
fuzz test feeds the loader random YAML-like text and random mutations of the
real content files: the outcome is always exit 0 or 1, never an exception.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneeguide import load
from kneeguide.checks import files as checks_files
from kneeguide.cli import main
from kneeguide.conditions import And, Flag, Not, OneOf
from kneeguide.guidance import Guidance
from kneeguide.loader import check
from kneeguide.localisation import checks as localisation_checks
from kneeguide.plugins import PluginHost
from kneeguide.renderers import to_fhirpath
from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root
from kneeguide.yamlsource import YamlDocument, read_yaml
from strategies import YAML_TOKENS
from yaml_data import load_data

HOSTILE = Path(__file__).parent / "hostile"
CONTENT = guidance_root() / DEFAULT_GUIDELINE
BASELINE = (Path(__file__).parent / "answers" / "baseline.json").read_text("utf-8").strip()
HANGS = 20  # seconds; far beyond any real run, so a timeout means "hangs"
TRACEBACK = "Traceback (most recent call last)"
PLUGIN_DIST, PLUGIN_VERSION = "kneeguide-hostile-plugins", "6.6.6"


def _index(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = load_data(HOSTILE / name)
    return cases


CONTENT_CASES = _index("content.yaml")
ANSWER_CASES = _index("answers.yaml")
PLUGIN_CASES = _index("plugins.yaml")
# Cases run in a fresh interpreter: those that could hang, recurse without end, or run a command.
SUBPROCESS = {
    "oversize",
    "alias_bomb",
    "python_object_apply",
    "python_module_on_mapping",
    "verbatim_tag",
    "deep_flow_sequence",
    "deep_block_sequence",
    "symlink_loop",
    "symlink_to_dev_zero",
    "fifo",
    "huge_number",
    "long_reference_chain",
}


def run_cli(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line in a fresh interpreter; a timeout fails the test as a hang."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kneeguide.cli", *args],
            input=stdin,
            capture_output=True,
            timeout=HANGS,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"kneeguide {' '.join(args)} did not finish within {HANGS} s (hangs)")
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


# --- building content cases -----------------------------------------------------------------


def parts_text(parts: list[Any]) -> str:
    """Join the parts of a case: strings, [string, times], or {each, count} templates."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, list):
            out.append(part[0] * part[1])
        else:
            out.extend(
                part["each"].replace("{indent}", " " * i).replace("{next}", str(i + 1)).replace("{i}", str(i))
                for i in range(part["count"])
            )
    return "".join(out)


def build(case: dict[str, Any], folder: Path, marker: Path) -> Path:
    """Copy the shipped guideline to ``folder`` and break the case's file as it says."""
    shutil.copytree(CONTENT, folder)
    target = folder / case["file"]

    def text_of(parts: list[Any]) -> str:
        return parts_text(parts).replace("{marker}", str(marker))

    if "link" in case:
        target.unlink()
        if case["link"] == "loop":
            other = folder / "loop.yml.link"
            os.symlink(other, target)
            os.symlink(target, other)
        else:
            os.symlink(case["link"], target)
    elif case.get("fifo"):
        target.unlink()
        os.mkfifo(target)
    elif case.get("directory"):
        target.unlink()
        target.mkdir()
        (target / "inside.yaml").write_text("a: 1\n")
    elif "hex" in case:
        target.write_bytes(bytes.fromhex(case["hex"]))
    elif "text" in case:
        target.write_bytes(text_of(case["text"]).encode(case.get("encode", "utf-8")))
    elif "edit" in case:
        original = target.read_text("utf-8")
        assert case["edit"]["old"] in original, f"case {case['id']} no longer applies to {case['file']}"
        target.write_text(original.replace(case["edit"]["old"], text_of(case["edit"]["new"]), 1), "utf-8")
    elif "append" in case:
        original = target.read_text("utf-8")
        target.write_text(original.rstrip("\n") + "\n\n" + text_of(case["append"]), "utf-8")
    else:
        raise AssertionError(f"case {case['id']} says nothing to build")
    return target


def expected_line(case: dict[str, Any], target: Path) -> int | None:
    expect = case["expect"]
    if "at" in expect:
        text = target.read_text("utf-8")
        assert expect["at"] in text, f"{expect['at']!r} is not in the built file"
        return text.count("\n", 0, text.index(expect["at"])) + 1
    line: int | None = expect.get("line")
    return line


def test_the_corpus_covers_every_kind_of_hostile_content() -> None:
    ids = {c["id"] for c in CONTENT_CASES}
    assert len(ids) == len(CONTENT_CASES), "case ids must be unique"
    needed = {"oversize", "alias_bomb", "python_object_apply", "deep_flow_sequence", "deep_block_mapping"}
    needed |= {"nul_byte", "latin1", "utf16_with_bom", "duplicate_key", "symlink_loop", "symlink_to_dev_zero"}
    needed |= {"fifo", "empty", "png", "directory", "multi_document", "huge_single_line"}
    needed |= {"enormous_condition", "deeply_parenthesised_condition", "quote_in_choice_code"}
    assert needed <= ids
    assert ids >= SUBPROCESS


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A path that a tag would create if it ran: it must still be absent afterwards."""
    path = tmp_path / "code-ran"
    yield path
    assert not path.exists(), "a YAML tag ran code"


@pytest.mark.parametrize("case", CONTENT_CASES, ids=[c["id"] for c in CONTENT_CASES])
def test_hostile_content_exits_1_naming_the_file_and_line(
    case: dict[str, Any], tmp_path: Path, marker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "guideline"
    target = build(case, folder, marker)
    line = expected_line(case, target) if not (case.get("link") or case.get("fifo")) else None
    args = ["validate", str(folder), "--format", "json"]
    if case["id"] in SUBPROCESS:
        run = run_cli(*args)
        code, out, err = run.returncode, run.stdout, run.stderr
    else:
        code = main(args)
        out, err = capsys.readouterr()
    assert TRACEBACK not in out + err
    assert code == 1, out + err
    report = json.loads(out)
    found = [
        d
        for d in report["diagnostics"]
        if d["severity"] == "error"
        and Path(d["file"]).name == case["file"]
        and case["expect"]["message"] in d["message"]
    ]
    shown = "\n".join(
        f"{Path(d['file']).name}:{d['line']}: {d['message'][:200]}" for d in report["diagnostics"]
    )
    assert found, f"no error in {case['file']} mentioning {case['expect']['message']!r}:\n{shown}"
    if line is not None:
        assert any(d["line"] == line for d in found), f"expected line {line}:\n{shown}"
    assert all(len(d["message"]) < 1200 for d in report["diagnostics"]), "a message quotes a huge value"


def test_a_symlink_inside_the_folder_is_still_read(tmp_path: Path) -> None:
    """Only links leading out of the folder are refused; a link within it is ordinary."""
    folder = tmp_path / "guideline"
    shutil.copytree(CONTENT, folder)
    (folder / "thermal.yaml").rename(folder / "thermal.real")
    os.symlink("thermal.real", folder / "thermal.yaml")
    result = check(folder, review_dates=False)
    assert result.errors == [] and result.guidance is not None


def test_a_file_given_is_checked_with_its_guideline_folder_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "guideline.yaml"
    path.write_text("guideline: {}\n")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'red_flags.yaml'}: error [(file)] missing-file: this guidance file is missing" in out


# --- answers ------------------------------------------------------------------------------------


def answer_bytes(case: dict[str, Any]) -> bytes:
    if "hex" in case:
        return bytes.fromhex(case["hex"])
    text = parts_text(case["text"])
    if case.get("baseline"):
        text = BASELINE[:-1] + text + "}"
    return text.encode("utf-8", "surrogatepass")


def test_the_baseline_answers_are_accepted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the answer cases: without the hostile part the same input is fine."""
    _stdin(monkeypatch, BASELINE.encode())
    assert main(["assess", "--answers", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["urgency"] == "self_care"


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


IN_PROCESS_ANSWERS = [c for c in ANSWER_CASES if not c.get("pipe")]


@pytest.mark.parametrize("case", IN_PROCESS_ANSWERS, ids=[c["id"] for c in IN_PROCESS_ANSWERS])
def test_hostile_answers_exit_2_with_a_clear_message(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, answer_bytes(case))
    code = main(["assess", "--answers", "-", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert out == ""
    assert case["expect"]["message"] in err, err[:500]
    assert err.startswith("kneeguide: error: ") and TRACEBACK not in err


PIPED = [
    "deep_lists",
    "huge_unclosed_stream",
    "invalid_utf8",
    *(c["id"] for c in ANSWER_CASES if c.get("pipe")),
]


@pytest.mark.parametrize("case_id", PIPED)
def test_hostile_answers_from_a_real_pipe_print_no_traceback(case_id: str) -> None:
    case = next(c for c in ANSWER_CASES if c["id"] == case_id)
    run = run_cli("assess", "--answers", "-", stdin=answer_bytes(case))
    assert run.returncode == 2 and case["expect"]["message"] in run.stderr
    assert TRACEBACK not in run.stderr and run.stdout == ""


def test_hostile_answers_from_a_file_are_refused_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "answers.json"
    path.write_text('{"fever": true, "fever": false}')
    assert main(["assess", "--answers", str(path)]) == 2
    assert "'fever' is given more than once" in capsys.readouterr().err
    assert main(["assess", "--answers", str(tmp_path / "missing.json")]) == 2
    assert "cannot read answers" in capsys.readouterr().err


# --- outputs ----------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("where", ["under_a_file", "in_proc", "is_a_file"])
def test_an_output_that_cannot_be_written_exits_2(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """chmod cannot stop root, so the unwritable places are a path under a file and /proc."""
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"keep me")
    out = {
        "under_a_file": blocker / "sub",
        "in_proc": Path("/proc/kneeguide-hostile/out"),
        "is_a_file": blocker,
    }[where]
    assert main(["export", "fhir", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kneeguide: error: ") and TRACEBACK not in err
    assert ("cannot create" in err) or ("is not a folder" in err), err
    assert blocker.read_bytes() == b"keep me"


# --- plugins ----------------------------------------------------------------------------------


@pytest.fixture
def hostile_site(tmp_path: Path) -> Path:
    """A distribution whose entry points are the modules of tests/hostile/plugins."""
    root = tmp_path / "site"
    info = root / f"{PLUGIN_DIST.replace('-', '_')}-{PLUGIN_VERSION}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN_DIST}\nVersion: {PLUGIN_VERSION}\n")
    lines = ["[kneeguide.exporters]"] + [f"{c['plugin']} = {c['module']}" for c in PLUGIN_CASES]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def hostile_plugins(hostile_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(hostile_site))
    monkeypatch.syspath_prepend(str(HOSTILE / "plugins"))
    monkeypatch.setenv("KNEEGUIDE_DISABLED_PLUGINS", "html,pdf")
    monkeypatch.setenv("KNEEGUIDE_EXPORT_TIMEOUT", str(RENDER_LIMIT))
    return hostile_site


def _plugin_env(site: Path) -> dict[str, str]:
    path = os.pathsep.join([str(site), str(HOSTILE / "plugins"), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path, "KNEEGUIDE_DISABLED_PLUGINS": "html,pdf"}


def test_broken_plugins_are_named_and_reported_unavailable(hostile_site: Path) -> None:
    run = run_cli("formats", "--format", "json", env=_plugin_env(hostile_site))
    assert TRACEBACK not in run.stderr
    assert run.returncode == 2, run.stdout + run.stderr
    rows = {r["plugin"] + "/" + r["format"]: r for r in json.loads(run.stdout)}
    for case in PLUGIN_CASES:
        if case.get("expect", {}).get("unavailable"):
            row = rows[f"{case['plugin']}/{case['plugin']}"]
            assert row["available"] is False
            assert (row["distribution"], row["version"]) == (PLUGIN_DIST, PLUGIN_VERSION)
            assert case["expect"]["message"] in row["description"]
        for fmt in case.get("formats") or {}:
            row = rows[f"{case['plugin']}/{fmt}"]
            assert row["available"] is True and row["distribution"] == PLUGIN_DIST
    assert rows["fhir/fhir"]["available"] is True


RENDER_LIMIT = 3  # seconds: "sleeps" is stopped after this, every real format takes far less
ALL_FAILURES = {fmt: msg for c in PLUGIN_CASES for fmt, msg in (c.get("all_failures") or {}).items()}
RENDER_FAILURES = {fmt: msg for c in PLUGIN_CASES for fmt, msg in (c.get("formats") or {}).items() if msg}
PLUGIN_OF = {fmt: c["plugin"] for c in PLUGIN_CASES for fmt in c.get("formats") or {}}
OUTPUT_PROBLEMS = {fmt for c in PLUGIN_CASES for fmt in c.get("output_problems", [])}


@pytest.mark.parametrize("fmt", sorted(RENDER_FAILURES))
def test_a_render_of_the_wrong_kind_is_named_and_keeps_the_previous_export(
    fmt: str, hostile_plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "a.txt").write_bytes(b"the previous good export\n")
    (out / "sub" / "keep.txt").write_bytes(b"keep\n")
    before = _snapshot(out)
    assert main(["export", fmt, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    if fmt not in OUTPUT_PROBLEMS:  # the plugin is at fault: it is named
        plugin = PLUGIN_OF[fmt]
        assert f"format {fmt!r} from plugin {plugin!r} ({PLUGIN_DIST} {PLUGIN_VERSION}) failed" in err, err
    assert RENDER_FAILURES[fmt] in err, err
    assert TRACEBACK not in err
    assert _snapshot(out) == before, "a failed export changed or left files"
    assert sorted(p.name for p in out.rglob("*")) == ["a.txt", "keep.txt", "sub"], "a temporary file was left"


def test_export_all_writes_every_working_format_despite_the_broken_ones(
    hostile_plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each failure is named; what the others write is exactly what they write alone.

    ``mutates`` renders before ``plain`` and changes the guidance it is given;
    ``plain`` writes the title and red flags it reads, which must be the real ones.
    """
    out = tmp_path / "out"
    assert main(["export", "all", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert TRACEBACK not in err
    for fmt in set(RENDER_FAILURES) - OUTPUT_PROBLEMS:
        assert f"format {fmt!r} from plugin " in err, fmt
        assert RENDER_FAILURES[fmt] in err, fmt
    for fmt, message in ALL_FAILURES.items():
        assert (
            f"format {fmt!r} from plugin 'contained' ({PLUGIN_DIST} {PLUGIN_VERSION}) failed: {message}"
            in err
        )
    g = load()
    title = g.data["guideline.yaml"]["guideline"]["title"]
    assert (out / "plain.txt").read_text() == f"plain export of {title} ({len(g.red_flags)} red flags)\n"
    bundle = json.loads((out / "knee-muscle-spasm.fhir.json").read_text("utf-8"))
    assert bundle["resourceType"] == "Bundle", "another format overwrote the FHIR Bundle"
    assert (out / "twin").read_bytes() == b"a file\n" and (out / "mutates.txt").is_file()
    assert not Path("/tmp/kneeguide-hostile-absolute.txt").exists()
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_third_party_entry_point_named_html_cannot_replace_the_leaflet(
    hostile_plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNEEGUIDE_DISABLED_PLUGINS", "pdf")
    host = PluginHost.discover()
    assert (host.formats["html"].plugin, host.formats["html"].distribution) == ("html", "kneeguide")
    refused = host.failure_of("html")
    assert refused is not None and (refused.distribution, refused.version) == (PLUGIN_DIST, PLUGIN_VERSION)
    assert main(["export", "html", "-o", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"plugin 'html' ({PLUGIN_DIST} {PLUGIN_VERSION}) failed: is refused" in err
    leaflet = (tmp_path / "knee-muscle-spasm.html").read_text("utf-8")
    assert leaflet.startswith("<!DOCTYPE html>") and "not the leaflet" not in leaflet


def test_a_plugin_that_mutates_its_guidance_cannot_change_another_format(
    hostile_plugins: Path, guidance: Guidance
) -> None:
    from kneeguide.export import checked_files
    from kneeguide.plugins import render_contained
    from kneeguide_exporters import fhir

    before = fhir.render(guidance)
    host = PluginHost.discover()
    assert render_contained(host.formats["mutates"], guidance, 5, checked_files) == {
        "mutates.txt": b"mutated\n"
    }
    assert guidance.metadata.title != "MUTATED" and guidance.red_flags
    assert fhir.render(guidance) == before


def test_a_plugin_that_hangs_on_import_is_stopped_and_fhir_still_exports(tmp_path: Path) -> None:
    """A fresh interpreter: the abandoned import keeps its module lock until the process ends."""
    site = tmp_path / "site"
    info = site / "kneeguide_sleepy-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kneeguide-sleepy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[kneeguide.exporters]\nsleepy = kg_sleepy_on_import\n")
    (site / "kg_sleepy_on_import.py").write_text("import time\ntime.sleep(3600)\n")
    env = {"PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env |= {"KNEEGUIDE_DISABLED_PLUGINS": "html,pdf", "KNEEGUIDE_EXPORT_TIMEOUT": "2"}
    run = run_cli("export", "fhir", "-o", str(tmp_path / "out"), env=env)
    assert run.returncode == 0, run.stderr
    assert "plugin 'sleepy' (kneeguide-sleepy 1.0) failed: cannot be imported: its import did not finish" in (
        run.stderr
    )
    assert (tmp_path / "out" / "knee-muscle-spasm.fhir.json").is_file()


def test_a_plugin_that_exits_on_import_does_not_end_the_run(hostile_plugins: Path) -> None:
    host = PluginHost.discover()
    failure = host.failure_of("exit_on_import")
    assert failure is not None and "SystemExit" in failure.message
    assert {"fhir", "plain", "text", "exits"} <= set(host.formats)


# --- expressions ---------------------------------------------------------------------------------

R4 = models["r4"]


def _qr(link_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": link_id, "answer": [answer]}],
    }


def _evaluate(expression: str, qr: dict[str, Any]) -> list[Any]:
    result: list[Any] = compile_fhirpath(expression, R4)(qr, {"resource": qr})
    return result


hostile_text = st.text(
    alphabet=st.sampled_from("abc'\"\\()[]{}`,.=!<>|&$%/ \t\n\rxyz0") | st.characters(codec="utf-8"),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=hostile_text, code=hostile_text, other=hostile_text)
def test_any_id_or_code_stays_inside_its_string_literal(question: str, code: str, other: str) -> None:
    """Whatever the characters, the expression matches that code for that question and nothing else.

    ``tests/test_fhir_differential.py`` checks a fixed list of hostile strings;
    this draws them, so quotes, brackets, backslashes and control characters
    meet in combinations nobody listed.
    """
    tree = OneOf(question, (code,))
    if "\\" in question or "\\" in code:
        with pytest.raises(ValueError, match="backslash"):
            to_fhirpath(tree)
        return
    expression = to_fhirpath(tree)
    coding = {"valueCoding": {"system": "urn:x", "code": code}}
    assert _evaluate(expression, _qr(question, coding)) == [True]
    if other != code:
        assert _evaluate(expression, _qr(question, {"valueCoding": {"code": other}})) == [False]
    if other != question:
        assert _evaluate(expression, _qr(other, coding)) == [False]
    negated = to_fhirpath(And((Not(tree), Flag(question + "'"))))
    assert _evaluate(negated, _qr(question, coding)) == [False]


# --- fuzzing the loader ---------------------------------------------------------------------------


def _check_outcome(folder: Path) -> None:
    result = check(folder, review_dates=False)
    assert result.guidance is None or result.errors == []
    for d in result.diagnostics:
        assert d.message and d.file, d


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the guideline whose unchanged files are parsed once, not once per example.

    Reading YAML is most of the cost of ``check``; caching by exact bytes keeps
    every example's mutated file going through the real reader while the
    fuzz stays within its time budget.  The examples share each unchanged
    file's document, so the fixture ends by proving that no check changed one.
    """
    folder = tmp_path_factory.mktemp("fuzz") / "guideline"
    shutil.copytree(CONTENT, folder)
    cache: dict[tuple[Path, bytes], YamlDocument] = {}

    def cached_read(path: Path) -> YamlDocument:
        if not path.is_file() or path.is_symlink() or not path.is_relative_to(folder):
            return read_yaml(path)
        rel = path.relative_to(folder)
        key = (rel, path.read_bytes())
        if key not in cache:
            doc = read_yaml(path)
            if (CONTENT / rel).read_bytes() != key[1]:
                return doc
            cache[key] = doc
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checks_files, "read_yaml", cached_read)
        mp.setattr(localisation_checks, "read_yaml", cached_read)
        yield folder
    assert cache, "the unchanged files were read through the cache"
    for (rel, _), doc in cache.items():
        assert doc == read_yaml(CONTENT / rel), f"a check changed the shared document of {rel}"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(p.name for p in CONTENT.glob("*.yaml"))),
    tokens=st.lists(YAML_TOKENS, max_size=60),
)
def test_fuzz_random_yaml_like_text_never_raises(fuzz_folder: Path, name: str, tokens: list[str]) -> None:
    target = fuzz_folder / name
    try:
        target.write_text("".join(tokens), "utf-8")
        _check_outcome(fuzz_folder)
    finally:
        shutil.copy(CONTENT / name, target)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real content file with byte flips, lost, doubled or swapped lines, or a cut."""
    name = draw(st.sampled_from(sorted(p.name for p in CONTENT.glob("*.yaml"))))
    data = bytearray((CONTENT / name).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "delete", "duplicate", "swap", "truncate", "insert"]))
        lines = bytes(data).split(b"\n")
        if kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
            continue
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            lines.insert(i, draw(YAML_TOKENS).encode("utf-8") * draw(st.integers(1, 3)))
        else:
            lines = lines[:i]
        data = bytearray(b"\n".join(lines))
    return name, bytes(data)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutations())
def test_fuzz_mutated_real_content_never_raises(fuzz_folder: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    target = fuzz_folder / name
    try:
        target.write_bytes(data)
        _check_outcome(fuzz_folder)
    finally:
        shutil.copy(CONTENT / name, target)


def test_fuzzed_content_through_the_command_line_exits_0_or_1(tmp_path: Path) -> None:
    """One mutated folder through the real command line: the exit code contract holds end to end."""
    folder = tmp_path / "guideline"
    shutil.copytree(CONTENT, folder)
    text = (folder / "red_flags.yaml").read_text("utf-8")
    (folder / "red_flags.yaml").write_text(text.replace("    urgency:", "  urgency:", 3), "utf-8")
    run = run_cli("validate", str(folder))
    assert run.returncode == 1 and TRACEBACK not in run.stdout + run.stderr
    assert "red_flags.yaml:" in run.stdout
