"""Where the packaged guidance and schemas live.

The wheel carries ``guidance/`` and ``schemas/`` inside the package as
``kneeguide/_data/`` (see ``pyproject.toml``), so an installed kneeguide works
from any folder.  In an editable install from a checkout there is no copy, and
the files are read from the checkout itself.

A wheel also carries each packaged guideline validated and in compact form
(``kneeguide/_data/compiled/<id>.json``, written by ``hatch_build.py``); a
checkout has none, and ``kneeguide.store`` validates and caches instead.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["DEFAULT_GUIDELINE", "compiled_path", "guidance_root", "schemas_dir"]

DEFAULT_GUIDELINE = "knee-muscle-spasm"


def _data_dir(name: str) -> Path:
    packaged = Path(str(files("kneeguide"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the packaged {name!r} folder is missing from this installation")


def guidance_root() -> Path:
    """The folder that holds one sub-folder per packaged guideline."""
    return _data_dir("guidance")


def schemas_dir() -> Path:
    """The folder of JSON Schemas that the guidance files are checked against."""
    return _data_dir("schemas")


def compiled_path(guideline: str) -> Path | None:
    """The compact form of a packaged guideline the wheel was built with; None in a checkout."""
    path = Path(str(files("kneeguide"))) / "_data" / "compiled" / f"{guideline}.json"
    return path if path.is_file() else None
