"""Where the packaged guidance and schemas live.

The wheel carries ``guidance/`` and ``schemas/`` inside the package as
``kneeguide/_data/`` (see ``pyproject.toml``), so an installed kneeguide works
from any folder.  In an editable install from a checkout there is no copy, and
the files are read from the checkout itself.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["DEFAULT_GUIDELINE", "guidance_root", "schemas_dir"]

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
