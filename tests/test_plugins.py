"""Exporter plugins: found through entry points, isolated when broken, written atomically.

Three kinds of plugin are exercised here:

* ``tests/example_plugin``, a real third-party distribution, really installed
  into this environment with pip (entry point and all) and uninstalled after;
* a "zoo" distribution of broken and working plugins, made as a
  ``.dist-info`` folder on ``sys.path`` (or ``PYTHONPATH`` for the command
  line), so ``importlib.metadata`` finds it with its name and version exactly
  as it finds an installed one;
* bare ``EntryPoint`` objects passed to ``PluginHost.discover``.

The meta-tests at the end keep docs/writing-an-exporter.md and the tests in
step with ``kneeguide.hookspecs``, as datasette's do for its hooks.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from kneeguide import hookspecs
from kneeguide.cli import main
from kneeguide.export import ExportError, write_files
from kneeguide.guidance import Guidance
from kneeguide.plugins import ENTRY_POINT_GROUP, PluginHost

TESTS = Path(__file__).parent
REPO = TESTS.parent
EXAMPLE = TESTS / "example_plugin"
DOC = REPO / "docs" / "writing-an-exporter.md"
ZOO_DIST, ZOO_VERSION = "kneeguide-broken-zoo", "2.0.1"


def kneeguide_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter (so it sees newly installed plugins)."""
    return subprocess.run(
        [sys.executable, "-m", "kneeguide.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KNEEGUIDE_DISABLED_PLUGINS": "", **(env or {})},
        check=False,
    )


def hook_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, "kneeguide_spec")
    )


# --- a real third-party distribution, installed with pip ---------------------------------


@pytest.fixture(scope="module")
def installed_example() -> Iterator[str]:
    """Install tests/example_plugin into this interpreter's environment; uninstall afterwards."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-build-isolation", "--no-cache-dir", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    importlib.invalidate_caches()
    try:
        yield "kneeguide-csv-example"
    finally:
        subprocess.run([*pip, "uninstall", "-y", "kneeguide-csv-example"], capture_output=True, check=False)
        sys.modules.pop("kneeguide_csv_example", None)
        importlib.invalidate_caches()


def test_hook_kneeguide_formats_of_an_installed_distribution_is_listed(installed_example: str) -> None:
    run = kneeguide_cli("formats", "--format", "json")
    rows = json.loads(run.stdout)
    csv_row = next(r for r in rows if r["format"] == "csv")
    assert csv_row == {
        "format": "csv",
        "media_type": "text/csv",
        "plugin": "csv",
        "distribution": installed_example,
        "version": "0.3.1",
        "description": "every rule and step as one CSV table",
        "available": True,
    }
    assert any(r["format"] == "fhir" and r["available"] for r in rows)
    assert run.returncode == (0 if all(r["available"] for r in rows) else 2), run.stderr
    text = kneeguide_cli("formats").stdout
    assert "csv (kneeguide-csv-example 0.3.1)" in text


def test_an_installed_distribution_exports(
    installed_example: str, guidance: Guidance, tmp_path: Path
) -> None:
    run = kneeguide_cli("export", "csv", "-o", str(tmp_path))
    assert run.returncode == 0, run.stderr
    lines = (tmp_path / f"{guidance.id}.rules.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,kind,title,sources"
    assert [line.split(",", 1)[0] for line in lines[1:]] == [r.id for r in guidance.rules()]
    host = PluginHost.discover(disabled=[])
    provided = host.formats["csv"]
    assert (provided.distribution, provided.version) == (installed_example, "0.3.1")


# --- a zoo of broken plugins, discovered from real distribution metadata ----------------

ZOO_PLUGINS = {
    "missing": None,  # the module does not exist
    "syntax": "def broken(:\n",
    "raises": """
        @hookimpl
        def kneeguide_formats():
            raise RuntimeError("the exporter lost its templates")
    """,
    "wrongtype": """
        @hookimpl
        def kneeguide_formats():
            return {"name": "tsv"}
    """,
    "typo": """
        @hookimpl
        def kneeguide_format():
            return []
    """,
    "good": """
        @hookimpl
        def kneeguide_formats():
            return [ExportFormat(name="tsv", media_type="text/tab-separated-values",
                                 render=lambda g: {g.id + ".tsv": b"id\\n"})]
    """,
    "flaky": """
        def render(guidance):
            raise OSError("disk on fire")

        @hookimpl
        def kneeguide_formats():
            return [ExportFormat(name="flaky", media_type="text/plain", render=render)]
    """,
    "escape": """
        @hookimpl
        def kneeguide_formats():
            return [ExportFormat(name="escape", media_type="text/plain",
                                 render=lambda g: {"ok.txt": b"fine", "../evil.txt": b"outside"})]
    """,
    "another": """
        @hookimpl
        def kneeguide_formats():
            return [ExportFormat(name="tsv", media_type="text/plain", render=lambda g: {"x": b""})]
    """,
}
BROKEN = {
    "missing": "cannot be imported: ModuleNotFoundError",
    "syntax": "cannot be imported: SyntaxError",
    "raises": "kneeguide_formats raised RuntimeError: the exporter lost its templates",
    "wrongtype": "returned dict, expected a list of ExportFormat",
    "typo": "implements an unknown hook",
}


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    """A folder holding the zoo's modules and ``kneeguide_broken_zoo-2.0.1.dist-info``.

    Module names carry a per-test suffix, so no test sees another's imports.
    """
    root = tmp_path / "site"
    info = root / f"{ZOO_DIST.replace('-', '_')}-{ZOO_VERSION}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {ZOO_DIST}\nVersion: {ZOO_VERSION}\n")
    suffix = f"{abs(hash(str(tmp_path))):x}"
    lines = ["[kneeguide.exporters]"]
    header = "from kneeguide import hookimpl\nfrom kneeguide.hookspecs import ExportFormat\n"
    for name, source in ZOO_PLUGINS.items():
        module = f"kg_zoo_{name}_{suffix}"
        lines.append(f"{name} = {module}")
        if source is not None:
            (root / f"{module}.py").write_text(header + textwrap.dedent(source))
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def zoo_on_path(zoo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(zoo))
    monkeypatch.delenv("KNEEGUIDE_DISABLED_PLUGINS", raising=False)
    return zoo


def test_hook_kneeguide_formats_failures_are_named_and_the_rest_keep_working(zoo_on_path: Path) -> None:
    host = PluginHost.discover()
    for plugin, message in BROKEN.items():
        failure = host.failure_of(plugin)
        assert failure is not None, plugin
        assert (failure.distribution, failure.version) == (ZOO_DIST, ZOO_VERSION)
        assert message in failure.message, str(failure)
        assert f"plugin {plugin!r} ({ZOO_DIST} {ZOO_VERSION}) failed" in str(failure)
    assert {"fhir", "tsv", "flaky", "escape"} <= set(host.formats)
    assert host.formats["fhir"].distribution == "kneeguide"
    assert host.formats["tsv"].plugin in ("good", "another")
    loser = "good" if host.formats["tsv"].plugin == "another" else "another"
    duplicate = host.failure_of(loser)
    assert duplicate is not None and "'tsv' is already provided" in duplicate.message


def test_the_command_line_lists_broken_plugins_and_keeps_exporting(
    zoo: Path, guidance: Guidance, tmp_path: Path
) -> None:
    env = {"PYTHONPATH": str(zoo), "KNEEGUIDE_DISABLED_PLUGINS": "html,pdf"}
    listing = kneeguide_cli("formats", env=env)
    assert listing.returncode == 2
    for plugin in BROKEN:
        assert f"{plugin} " in listing.stdout and f"({ZOO_DIST} {ZOO_VERSION})  UNAVAILABLE" in listing.stdout
    assert "fhir (kneeguide " in listing.stdout
    out = tmp_path / "out"
    export = kneeguide_cli("export", "fhir", "-o", str(out), env=env)
    assert export.returncode == 0, export.stderr
    assert (out / f"{guidance.id}.fhir.json").is_file()
    assert f"plugin 'raises' ({ZOO_DIST} {ZOO_VERSION}) failed" in export.stderr
    assert "Traceback" not in export.stderr + listing.stderr


def test_exporting_a_broken_plugins_format_exits_2_and_names_it(zoo: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(zoo)}
    run = kneeguide_cli("export", "raises", "-o", str(tmp_path / "out"), env=env)
    assert run.returncode == 2
    assert f"plugin 'raises' ({ZOO_DIST} {ZOO_VERSION}) failed" in run.stderr
    assert not (tmp_path / "out").exists()


def test_fake_entry_points_without_a_distribution_are_still_named() -> None:
    eps = [
        *entry_points(group=ENTRY_POINT_GROUP, name="fhir"),
        EntryPoint("ghost", "kneeguide_no_such_module_anywhere", ENTRY_POINT_GROUP),
        EntryPoint("notamodule", "kneeguide.hookspecs:ExportFormat", ENTRY_POINT_GROUP),
    ]
    host = PluginHost.discover(eps, disabled=[])
    ghost = host.failure_of("ghost")
    assert ghost is not None and "ModuleNotFoundError" in ghost.message
    assert ghost.distribution == "(unknown distribution)"
    assert list(host.formats) == ["fhir"]


# --- disabling plugins by name ----------------------------------------------------------


def test_plugins_are_disabled_by_name_from_the_environment(
    zoo_on_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNEEGUIDE_DISABLED_PLUGINS", " fhir, raises ,typo")
    host = PluginHost.discover()
    assert "fhir" not in host.formats and "tsv" in host.formats
    failed = {f.plugin for f in host.failures}
    assert {"raises", "typo"}.isdisjoint(failed) and "missing" in failed
    assert "fhir" in PluginHost.discover(disabled=[]).formats


def test_disabled_plugins_disappear_from_the_command_line() -> None:
    rows = json.loads(
        kneeguide_cli("formats", "--format", "json", env={"KNEEGUIDE_DISABLED_PLUGINS": "fhir"}).stdout
    )
    assert "fhir" not in {r["format"] for r in rows}
    run = kneeguide_cli("export", "fhir", "-o", "unused", env={"KNEEGUIDE_DISABLED_PLUGINS": "fhir"})
    assert run.returncode == 2 and "unknown format 'fhir'" in run.stderr


# --- atomic writes and exit codes ----------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_render_that_raises_keeps_the_previous_export(
    zoo_on_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "flaky.txt").write_bytes(b"the previous good export\n")
    before = _snapshot(out)
    assert main(["export", "flaky", "-o", str(out)]) == 2
    assert (
        f"format 'flaky' from plugin 'flaky' ({ZOO_DIST} {ZOO_VERSION}) failed: OSError"
        in capsys.readouterr().err
    )
    assert _snapshot(out) == before


def test_a_render_that_escapes_the_folder_writes_nothing(
    zoo_on_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["export", "escape", "-o", str(out)]) == 2
    assert "refusing to write outside the output folder" in capsys.readouterr().err
    assert not (tmp_path / "evil.txt").exists()
    assert not out.exists() or _snapshot(out) == {}


def test_a_failed_write_leaves_no_partial_or_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.json").write_bytes(b"old a")
    calls: list[int] = []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(ExportError, match="No space left"):
        write_files(tmp_path, {"a.json": b"new a", "b.json": b"new b"})
    assert _snapshot(tmp_path) == {"a.json": b"old a"}


def test_a_render_of_the_wrong_type_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="expected bytes"):
        write_files(tmp_path / "out", {"a.txt": b"fine", "b.txt": "text, not bytes"})  # type: ignore[dict-item]
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me")
    assert main(["export", "fhir", "-o", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_an_unknown_format_exits_2_and_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "docx", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "unknown format 'docx'" in err and "fhir" in err
    assert not (tmp_path / "out").exists()


# --- meta-tests: every hook is documented and tested ------------------------------------------


def test_the_hookspecs_module_declares_hooks() -> None:
    assert hook_names() == ["kneeguide_formats"]


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    signature = str(inspect.signature(getattr(hookspecs, hook))).replace("'", "")
    assert f"def {hook}{signature}" in doc, f"document `def {hook}{signature}` in {DOC.name}"


def test_export_format_is_documented_field_by_field() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for field in dataclasses.fields(hookspecs.ExportFormat):
        default = "" if field.default is dataclasses.MISSING else f" = {json.dumps(field.default)}"
        assert f"{field.name}: {field.type}{default}" in doc, field.name


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_test(hook: str) -> None:
    """A test function named ``test_hook_<hook>...`` exists somewhere under tests/."""
    names: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert any(n.startswith(f"test_hook_{hook}") for n in names), f"add a test named test_hook_{hook}_..."
