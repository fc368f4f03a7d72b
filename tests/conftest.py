"""Shared fixtures: the packaged guidance, and a writable copy of it.

Validated guidance is cached in a folder of the run (``KNEEGUIDE_CACHE_DIR``).
The suite never depends on the machine's date: ``KNEEGUIDE_TODAY`` is set
for the whole run (and inherited by every command line run in a subprocess)
to the packaged content's last review date, a day its review dates are
certainly in order.  Tests about dates pass their own day.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import kneeguide
from kneeguide.guidance import Guidance
from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root

REPO = Path(__file__).resolve().parents[1]
CONTENT = guidance_root() / DEFAULT_GUIDELINE


def pytest_configure(config: pytest.Config) -> None:
    # Validated guidance is cached per run, never in the user's cache (inherited by subprocesses).
    os.environ.setdefault("KNEEGUIDE_CACHE_DIR", tempfile.mkdtemp(prefix="kneeguide-cache-"))
    os.environ.setdefault("KNEEGUIDE_TODAY", str(kneeguide.load().metadata.last_review_date))


@pytest.fixture(scope="session")
def guidance() -> Guidance:
    return kneeguide.load()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped guideline folder that a test may change."""
    target = tmp_path / DEFAULT_GUIDELINE
    shutil.copytree(CONTENT, target)
    return target
