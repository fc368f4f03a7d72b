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
    # pytest-xdist hands out files with the most tests first unless told to keep the order,
    # which would leave the few slow ones (``FIRST``) to the end.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


FIRST = (
    "test_fhir_differential.py",
    "test_html.py",
    "test_fhir_engines.py",
    "test_hostile.py",
    "test_fhir_scale.py",
    "test_precommit.py",
    "test_fast_paths.py",
    "test_plan.py",
)
"""The files that take longest (the real FHIR engines, Chromium, fuzzing, pre-commit), longest first."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest files first, the rest in their own order.

    Each worker takes one file at a time (``--dist loadfile``, in this order:
    see ``pytest_configure``); started last, a file that takes a minute
    leaves the other core idle while it ends.  Longest first keeps both
    cores busy to the end.
    """
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(FIRST)))


@pytest.fixture(scope="session")
def guidance() -> Guidance:
    return kneeguide.load()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped guideline folder that a test may change."""
    target = tmp_path / DEFAULT_GUIDELINE
    shutil.copytree(CONTENT, target)
    return target
