"""The pre-commit hooks check what is committed in a content repository, with real pre-commit.

A throw-away content repository uses this checkout's ``.pre-commit-hooks.yaml``
(``repo:`` a commit of a copy of the working tree, as pre-commit clones
any hook repository); committing good guidance passes both hooks, and a
commit of a broken guidance file is refused, naming the file and line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGED = REPO / "guidance" / "knee-muscle-spasm"
_BUILD = ("src", "exporters", "guidance", "schemas")
"""What a clone of this repository needs to build and install, beside its top-level files."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Content author",
        "GIT_AUTHOR_EMAIL": "author@example.org",
        "GIT_COMMITTER_NAME": "Content author",
        "GIT_COMMITTER_EMAIL": "author@example.org",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _hook_repository(tmp: Path) -> tuple[Path, str]:
    """A git repository of this working tree, as it is now, and its commit."""
    hooks = tmp / "kneeguide"
    hooks.mkdir()
    # Every top-level file as a clone has it (pyproject.toml, the build hook,
    # the hook definitions...), and the folders the build reads.
    tops = [p for p in REPO.iterdir() if p.is_file() and not p.name.startswith(".git")]
    for source in [*tops, *(REPO / name for name in _BUILD)]:
        if source.is_dir():
            shutil.copytree(
                source, hooks / source.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, hooks / source.name)
    _git(hooks, "init", "-q")
    _git(hooks, "add", "-A")
    assert _git(hooks, "commit", "-qm", "hooks").returncode == 0
    return hooks, _git(hooks, "rev-parse", "HEAD").stdout.strip()


@pytest.mark.slow
def test_the_hooks_pass_good_guidance_and_refuse_a_broken_commit(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
        "pre-commit"
    )
    assert pre_commit, "pre-commit is part of the test extra"
    hooks, rev = _hook_repository(tmp_path)
    content = tmp_path / "content"
    shutil.copytree(PACKAGED, content / "guidance" / "knee-muscle-spasm")
    (content / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks.as_uri()}\n    rev: {rev}\n"
        "    hooks:\n      - id: kneeguide-validate\n      - id: kneeguide-verify\n",
        encoding="utf-8",
    )
    _git(content, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "KNEEGUIDE_TODAY": "2026-11-20"}
    env.pop("VIRTUAL_ENV", None)
    install = subprocess.run([pre_commit, "install"], cwd=content, env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        _git(content, "add", "-A")
        return subprocess.run(
            ["git", "-c", "user.name=Author", "-c", "user.email=a@example.org", "commit", "-qm", message],
            cwd=content,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    good = commit("good guidance")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "kneeguide validate" in good.stdout + good.stderr and "Passed" in good.stdout + good.stderr
    environments = sorted((tmp_path / "cache").glob("*/py_env-*"))
    assert len(environments) == 1, f"the two hooks should share one environment: {environments}"

    red_flags = content / "guidance" / "knee-muscle-spasm" / "red_flags.yaml"
    text = red_flags.read_text("utf-8")
    assert "condition: chest_pain_or_breathless\n" in text
    red_flags.write_text(text.replace("condition: chest_pain_or_breathless\n", "condition: chest_pain\n"))
    broken = commit("broken guidance")
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0, output
    line = red_flags.read_text("utf-8").split("condition: chest_pain\n")[0].count("\n") + 1
    assert f"guidance/knee-muscle-spasm/red_flags.yaml:{line}:" in output, output
    assert "unknown question 'chest_pain'" in output
    assert _git(content, "log", "--oneline").stdout.count("\n") == 1, "the broken commit was made"
