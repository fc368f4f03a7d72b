"""Reading the files of a guidance folder: which files, safely, each pointing at its schema."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..hints import closest
from ..localisation.checks import LOCALE_FILES
from ..models import FILES, OPTIONAL_FILES, SCHEMA_NAMES
from ..yamlsource import SourceError, YamlDocument, read_yaml

if TYPE_CHECKING:
    from .core import Checker

__all__ = ["pointer_check", "read_files"]

_SCHEMA_POINTER = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")


def read_files(ctx: Checker) -> None:
    """Read every guidance file into ``ctx.docs``; report unknown, missing and unreadable files."""
    try:
        present = {p.name for p in ctx.folder.iterdir() if p.suffix in (".yaml", ".yml")}
    except OSError as exc:
        ctx.at_file("", f"cannot list the folder: {exc.strerror}", code="io")
        return
    unknown = sorted(present - FILES.keys() - set(LOCALE_FILES))
    # A misspelt file name is one mistake: reported once, as the unknown file
    # with the name it was meant to have, not also as that file missing.
    meant = {name: closest(name, FILES) for name in unknown}
    for extra in unknown:
        hint = f" (did you mean {meant[extra]!r}?)" if meant[extra] else ""
        ctx.error(
            extra, (), f"unknown guidance file{hint}; expected: {', '.join(FILES)}", code="unknown-file"
        )
    suggested = {m for m in meant.values() if m is not None}
    for name in FILES:
        path = ctx.folder / name
        if name not in present:
            if name in suggested:
                pass  # reported as the misspelt file, which stops the later stages
            elif name in OPTIONAL_FILES:
                ctx.left_out.add(name)
            else:
                ctx.error(name, (), "this guidance file is missing", code="missing-file")
            continue
        outside = _outside_link(ctx.folder, path)
        if outside:
            ctx.at_file(name, outside, code="outside-link")
            continue
        try:
            doc = read_yaml(path)
        except SourceError as exc:
            ctx.at_file(name, exc.message, code=exc.code, line=exc.line, column=exc.column)
            continue
        ctx.docs[name] = doc
        _pointer_check(ctx, name, doc)


def _outside_link(folder: Path, path: Path) -> str | None:
    """Why ``path`` must not be read: a symbolic link leading out of the folder.

    Content comes from pull requests, and a link to a file elsewhere on
    the CI machine would have its text quoted back in diagnostics.  A link
    inside the folder is fine; a loop is left to the reader, which reports it.
    """
    if not path.is_symlink():
        return None
    target = os.path.realpath(path)
    if os.path.islink(target):  # realpath gives up inside a loop
        return None
    real = os.path.realpath(folder)
    if os.path.commonpath([real, target]) == real:
        return None
    return f"is a symbolic link to {target}, outside the guidance folder"


def _pointer_check(ctx: Checker, name: str, doc: YamlDocument) -> None:
    pointer_check(ctx, name, doc, SCHEMA_NAMES[name])


def pointer_check(ctx: Checker, name: str, doc: YamlDocument, expected: str) -> None:
    """Report a first line that does not point editors at the file's schema, ``expected``.

    ``name`` is relative to the guidance folder (``translations/es.yaml`` sits
    one folder deeper, so its pointer climbs one more).
    """
    up = "../" * (2 + name.count("/"))
    m = _SCHEMA_POINTER.match(doc.first_line)
    if m is None:
        ctx.at_file(
            name,
            "first line should point editors at the schema: "
            f"# yaml-language-server: $schema={up}schemas/{expected}",
            code="schema-pointer",
            line=1,
            column=1,
        )
    elif Path(m.group(1)).name != expected:
        ctx.at_file(
            name,
            f"points at schema {Path(m.group(1)).name!r}, expected {expected!r}",
            code="schema-pointer",
            line=1,
            column=1,
        )
