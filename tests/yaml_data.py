"""Reading the suite's own data files (vignettes, hostile cases, examples).

They are read with libyaml (PyYAML's C loader), ten times faster than
ruamel.yaml's pure parser; every worker reads them at import.  libyaml reads
YAML 1.1, so ``yes`` or ``0o7`` would mean something else than in YAML 1.2:
the data files keep to the forms both read alike, which
``test_yaml_reader.py`` checks for every one of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_data"]


def load_data(path: Path) -> Any:
    """The data of one of the suite's YAML files."""
    return yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)
