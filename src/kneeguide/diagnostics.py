"""Problems found in content, each located and carrying a stable code.

Every check collects ``Diagnostic`` objects instead of raising on the first
problem, so a content author sees every mistake in one run.  They are
printed by the reporters in ``kneeguide.reporters``; docs/diagnostics.md
documents every code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

__all__ = [
    "Diagnostic",
    "ExitCode",
    "format_path",
]

Severity = Literal["error", "warning"]


class ExitCode(IntEnum):
    """Exit codes of the command line (contracts.md section 5)."""

    OK = 0
    INVALID = 1
    """The content or answers are invalid, or a property does not hold."""
    USAGE = 2
    """Usage error, bad input file, an output that cannot be written, or a plugin failure."""
    INTERNAL = 3
    """An unexpected error inside kneeguide: a bug to report, never "the content is invalid"."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C (128 + SIGINT, as shells report it)."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located as precisely as the input allows.

    ``line`` and ``column`` are 1-based, as editors show them; 0 means unknown.
    ``field`` is the path inside the file, e.g. ``red_flags[2].condition``.
    """

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = "error"
    code: str = "content"

    @property
    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def format_path(path: Sequence[str | int], data: Any = None) -> str:
    """Render a path such as ``("red_flags", 2, "condition")`` for a person.

    Given the file's ``data``, an item of a list is named by its id, as the
    author knows it (``red_flags[possible_dvt].condition``); the index stays
    where the item has no id, a malformed one, or one used twice in the list.
    """
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            label: str | int = part
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and _ID.match(ident):
                same = sum(1 for other in node if isinstance(other, dict) and other.get("id") == ident)
                label = ident if same == 1 else part
            out += f"[{label}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(file)"
