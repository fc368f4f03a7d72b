"""The command line never shows a traceback: odd terminals, full disks, kills, bugs.

Expected failures keep their exit codes (1 invalid content, 2 bad usage,
input, output or plugin); anything unexpected is a bug and exits 3 with how
to report it.  Most cases call ``kneeguide.cli.main`` in-process; the few
that need a real process (a full device, a C locale, SIGKILL) run one.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kneeguide import report
from kneeguide.cli import main
from kneeguide.export import MAX_FILES, RenderError, checked_files, clean_stale
from kneeguide.guidance import Guidance
from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root

BASELINE_FILE = Path(__file__).parent / "answers" / "baseline.json"
TRACEBACK = "Traceback (most recent call last)"


def run(
    *args: str, env: dict[str, str] | None = None, stdout: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kneeguide.cli", *args],
        env=env if env is not None else {**os.environ, "KNEEGUIDE_DISABLED_PLUGINS": "html,pdf"},
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )


# --- an unexpected error is a bug: exit 3, a short message, how to report it --------------------


def _explode(*args: object) -> str:
    raise ZeroDivisionError("the report divided by zero")


def test_an_unexpected_error_exits_3_with_how_to_report_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "assessment_text", _explode)
    assert main(["assess", "--answers", str(BASELINE_FILE)]) == 3
    err = capsys.readouterr().err
    assert "kneeguide: internal error: ZeroDivisionError: the report divided by zero" in err
    assert "This is a bug in kneeguide" in err and "KNEEGUIDE_DEBUG=1" in err
    assert TRACEBACK not in err
    monkeypatch.setenv("KNEEGUIDE_DEBUG", "1")
    assert main(["assess", "--answers", str(BASELINE_FILE)]) == 3
    assert TRACEBACK in capsys.readouterr().err


# --- output devices and terminals ----------------------------------------------------------


@pytest.mark.parametrize("command", [["assess", "--answers", str(BASELINE_FILE)], ["formats"]])
def test_a_full_output_device_exits_2_with_a_message(command: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = run(*command, stdout=full.fileno())
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "kneeguide: error: cannot write to standard output: No space left on device" in err
    assert TRACEBACK not in err and "Exception ignored" not in err


@pytest.fixture
def curly_content(tmp_path: Path) -> Path:
    folder = tmp_path / DEFAULT_GUIDELINE
    shutil.copytree(guidance_root() / DEFAULT_GUIDELINE, folder)
    path = folder / "guideline.yaml"
    text = path.read_text("utf-8")
    old = "disclaimer: >-\n    This guide"
    assert old in text
    path.write_text(
        text.replace(
            old, "disclaimer: >-\n    Don\u2019t wait \u2014 café rules \u201cfirst\u201d. This guide"
        )
    )
    return folder


def test_a_c_locale_prints_curly_quotes_without_a_traceback(curly_content: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
    env |= {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdout.encoding)"], env=env,
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert probe.stdout.strip().lower() in ("ascii", "ansi_x3.4-1968"), "this locale is UTF-8 after all"
    base = ["assess", "--answers", str(BASELINE_FILE), "--guidance", str(curly_content)]
    text = run(*base, env=env)
    assert text.returncode == 0, text.stderr.decode()
    assert b'Don\'t wait - caf\\u00e9 rules "first"' in text.stdout.replace(b"\n  ", b" ")
    as_json = run(*base, "--format", "json", env=env)
    assert as_json.returncode == 0 and TRACEBACK.encode() not in as_json.stderr
    assert json.loads(as_json.stdout)["disclaimer"].startswith("Don\u2019t wait \u2014 café")


def test_control_characters_from_answers_never_reach_the_terminal_raw(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"\\u001b[2J\\u202e": 1}'), "utf-8"))
    assert main(["assess", "--answers", "-"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err
    assert "\\u001b[2J\\u202e: unknown question id" in err


OTHER_DIGITS = ["²", "٤٠", "³", "1" * 5000, "4_0", "\uff11"]


def test_interactive_prompt_asks_again_for_digits_of_other_scripts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(OTHER_DIGITS) + "\n"))
    assert main(["assess", "--interactive"]) == 2
    err = capsys.readouterr().err
    assert "input ended before the questions that matter were answered" in err and TRACEBACK not in err
    assert err.count("  please ") == len(OTHER_DIGITS), err


@pytest.mark.parametrize("kind", ["integer", "choice"])
def test_digits_of_other_scripts_are_refused_at_number_and_choice_questions(
    kind: str, guidance: Guidance
) -> None:
    from kneeguide.interactive import _Words

    question = next(q for q in guidance.questions if q.type == kind)
    for text in OTHER_DIGITS:
        value, problem = _Words(guidance).parse(question, text)
        assert value is None and problem is not None and problem.startswith("please "), text


# --- temporary files and output limits -------------------------------------------------------


def test_temporary_files_of_an_export_killed_mid_write_are_removed_by_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    killer = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from kneeguide import export\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
        "export.write_files(Path(sys.argv[1]), {'a.txt': b'half'})\n"
    )
    done = subprocess.run([sys.executable, "-c", killer, str(out)], capture_output=True, check=False)
    assert done.returncode == -signal.SIGKILL
    (stale,) = out.iterdir()
    assert stale.name.startswith(".a.txt.kneeguide-") and stale.name.endswith(".tmp")
    monkeypatch.setenv("KNEEGUIDE_DISABLED_PLUGINS", "html,pdf")
    assert main(["export", "fhir", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["knee-muscle-spasm.fhir.json"]


def test_a_running_exports_temporary_files_are_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / f".a.txt.kneeguide-{os.getppid()}-abc123.tmp"  # the parent is alive
    other = tmp_path / ".a.txt.other-tool.tmp"
    mine.write_bytes(b"")
    other.write_bytes(b"")
    assert clean_stale(tmp_path) == [] and mine.exists() and other.exists()


def test_a_render_over_the_limits_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RenderError, match=f"more than {MAX_FILES} files"):
        checked_files({f"f{i}.txt": b"" for i in range(MAX_FILES + 1)})
    monkeypatch.setattr("kneeguide.export.MAX_BYTES", 10)
    with pytest.raises(RenderError, match="more than the limit of 10"):
        checked_files({"a.txt": b"x" * 11})


def test_export_help_names_the_time_limit_the_plugin_host_applies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kneeguide import cli, plugins

    assert (cli.TIMEOUT_ENV, cli.DEFAULT_TIMEOUT) == (plugins.TIMEOUT_ENV, plugins.DEFAULT_TIMEOUT)
    assert main(["export", "--help"]) == 0
    assert f"else {plugins.DEFAULT_TIMEOUT:g})" in " ".join(capsys.readouterr().out.split())
