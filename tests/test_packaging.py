"""Packaging: committed schemas match the models, the wheel works outside the repo,
and ``import kneeguide`` stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from kneeguide.schemas import generate

REPO = Path(__file__).resolve().parents[1]


def test_schemas_are_fresh() -> None:
    """The committed schemas must equal the ones generated from the models."""
    generated = generate()
    committed = {p.name: p.read_text("utf-8") for p in (REPO / "schemas").glob("*.schema.json")}
    stale = sorted(n for n in generated if committed.get(n) != generated[n])
    extra = sorted(set(committed) - set(generated))
    assert not stale and not extra, (
        f"schemas out of date: {stale}, unexpected: {extra}. "
        "Regenerate them with: kneeguide schemas --write schemas"
    )


def test_schemas_are_valid_2020_12() -> None:
    from jsonschema import Draft202012Validator

    for text in generate().values():
        schema = json.loads(text)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


def test_the_question_schema_alone_enforces_each_types_fields() -> None:
    """An editor that reads only questions.schema.json refuses what the type cannot have or lacks."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        json.loads((REPO / "schemas" / "questions.schema.json").read_text("utf-8"))
    )
    common = {"id": "q", "text": "A question?", "help": "Some help."}
    good = [
        {**common, "type": "boolean", "when_yes": "it is so", "when_no": "it is not"},
        {**common, "type": "integer", "minimum": 0, "maximum": 10, "subject": "the score", "unit": "points"},
        {**common, "type": "choice", "choices": [{"code": "a", "label": "A"}], "subject": "the pick"},
    ]
    bad = [
        {**good[0], "minimum": 5},
        {**good[0], "subject": "the swelling"},
        {**good[0], "typical": 1},
        {k: v for k, v in good[1].items() if k != "subject"},
        {**good[1], "choices": [{"code": "a", "label": "A"}]},
        {**good[1], "typical": "forty"},
        {**good[2], "unit": "muscles"},
        {**good[2], "when_no": "no"},
        {k: v for k, v in good[2].items() if k != "choices"},
        {**good[0], "type": "yes_no"},
    ]
    for question in good:
        assert validator.is_valid({"questions": [question], "ask_order": ["q"]}), question
    for question in bad:
        assert not validator.is_valid({"questions": [question], "ask_order": ["q"]}), question


def test_import_is_light() -> None:
    """Importing kneeguide loads no exporter, solver, template or YAML library."""
    code = (
        "import sys, kneeguide\n"
        "heavy = ['z3', 'jinja2', 'typst', 'ruamel', 'jsonschema', 'pydantic', 'kneeguide_exporters',"
        " 'kneeguide.engine', 'kneeguide.loader', 'kneeguide.verifier']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


MAX_MODULE_LINES = 400
"""A module a newcomer can hold in mind: split a longer one along the flow it implements."""


def test_no_module_of_the_package_is_over_400_lines() -> None:
    package = REPO / "src" / "kneeguide"
    sizes = {
        p.relative_to(package).as_posix(): len(p.read_text("utf-8").splitlines())
        for p in package.rglob("*.py")
    }
    assert len(sizes) > 20, sizes  # the package was found
    long = {name: n for name, n in sorted(sizes.items()) if n > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them along the flow): {long}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once for the tests that install it."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    return next(dist.glob("kneeguide-*.whl"))


@pytest.mark.slow
def test_wheel_installs_and_validates_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    """Build the wheel, install it in a fresh venv and run kneeguide from elsewhere."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Dependencies come from the test environment (no network needed); kneeguide
    # itself only from the wheel: the editable install's path hook is not a site dir.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "test-deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [str(python), "-c", "import kneeguide.resources as r; print(r.guidance_root())"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert str(env_dir) in probe.stdout, "the installed wheel must carry its own guidance"
    result = subprocess.run(
        [str(env_dir / "bin" / "kneeguide"), "validate"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def _tree_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


@pytest.mark.slow
def test_a_lean_install_assesses_in_under_60_mb_and_names_each_missing_extra(
    wheel: Path, tmp_path: Path
) -> None:
    """``pip install kneeguide`` without extras: assess and FHIR work; verify, PDF and HTML say what to add.

    The dependencies are resolved by pip as a vendor's install would, from
    the package index (the pip cache makes it quick); the venv has no pip of
    its own, so only what kneeguide pulls in is measured.
    """
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    assert not (site / "z3").exists() and not (site / "typst").exists() and not (site / "jinja2").exists()
    size = _tree_bytes(site)
    assert size < 60 * 1024 * 1024, f"a lean install takes {size / 2**20:.1f} MiB"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KNEEGUIDE_DISABLED_PLUGINS")}
    exe = str(env_dir / "bin" / "kneeguide")
    answers = str(REPO / "tests" / "answers" / "baseline.json")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
        )

    assessed = run("assess", "--answers", answers, "--format", "json")
    assert assessed.returncode == 0, assessed.stderr
    assert json.loads(assessed.stdout)["urgency"] == "self_care"
    assert run("export", "fhir", "-o", "out").returncode == 0
    for command, extra in ((["verify"], "verify"), (["export", "pdf", "-o", "out"], "pdf"),
                           (["export", "html", "-o", "out"], "html")):  # fmt: skip
        done = run(*command)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"pip install 'kneeguide[{extra}]'" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_the_wheel_ships_the_guidance_validated_in_compact_form(wheel: Path) -> None:
    """The build hook validated the packaged guidance and put its compact form in the wheel."""
    import zipfile

    from kneeguide import compact, load

    with zipfile.ZipFile(wheel) as zf:
        blob = zf.read("kneeguide/_data/compiled/knee-muscle-spasm.json")
    shipped = load()
    restored = compact.restore(blob, shipped.folder, digest=shipped.digest)
    assert restored.conditions == shipped.conditions and restored.metadata == shipped.metadata
