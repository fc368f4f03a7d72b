"""Shared fixtures: the packaged guidance, and a writable copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kneeguide
from kneeguide.guidance import Guidance
from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root

REPO = Path(__file__).resolve().parents[1]
CONTENT = guidance_root() / DEFAULT_GUIDELINE


@pytest.fixture(scope="session")
def guidance() -> Guidance:
    return kneeguide.load()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped guideline folder that a test may change."""
    target = tmp_path / DEFAULT_GUIDELINE
    shutil.copytree(CONTENT, target)
    return target
