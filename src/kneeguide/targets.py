"""Which guideline folders a command checks: the paths given, or the guidance here.

Pre-commit passes the files that changed (``guidance/x/red_flags.yaml``);
each belongs to the guideline folder that holds its ``guideline.yaml``, and
each folder is checked once, however many of its files changed.

With no path, a command run in a checkout or a content repository checks
the guidance there (``./guidance/<id>/guideline.yaml``, or the current
folder when it is a guideline folder), and says so: after a non-editable
install, checking the installed package's copy instead would pass broken
content in the repository unnoticed.  Elsewhere the packaged guidance is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Targets", "guideline_folders", "one_guideline"]

LOCAL = Path("guidance")


@dataclass(frozen=True)
class Targets:
    folders: list[Path]
    note: str | None = None
    """What was chosen for the user when no path was given, to print on standard error."""


def _owner(file: Path) -> Path:
    """The guideline folder of ``file``: the nearest folder above it holding guideline.yaml.

    A file with none above it is checked with its own folder, so that a
    guideline whose ``guideline.yaml`` was deleted is reported, not skipped.
    """
    for parent in file.parents:
        if (parent / "guideline.yaml").is_file():
            return parent
    return file.parent


def _local(cwd: Path) -> tuple[list[Path], str | None] | None:
    """The guideline folders here, and a note unless they are the packaged ones anyway."""
    from .loader import find_guidelines
    from .resources import guidance_root

    local = cwd / LOCAL
    if (cwd / "guideline.yaml").is_file():
        found, where = [Path(".")], "this folder"
    elif local.is_dir() and any((p / "guideline.yaml").is_file() for p in local.iterdir()):
        found, where = [LOCAL / p.name for p in find_guidelines(local)], "./guidance"
    else:
        return None
    packaged = {p.resolve() for p in find_guidelines(guidance_root())}
    if {(cwd / p).resolve() for p in found} <= packaged:  # an editable install in its checkout
        return found, None
    names = ", ".join(str(p) for p in found)
    return (
        found,
        f"using the guidance in {where} ({names}), not the installed package's; pass a path for another",
    )


def guideline_folders(paths: Sequence[Path], cwd: Path | None = None) -> Targets:
    """The guideline folders for ``paths`` (files or folders), each once, in the order given.

    Raises ``UsageError`` for a path that does not exist.
    """
    from .errors import UsageError
    from .loader import find_guidelines
    from .resources import guidance_root

    if not paths:
        here = _local(cwd or Path.cwd())
        if here is not None:
            return Targets(*here)
        return Targets(find_guidelines(guidance_root()))
    folders: dict[Path, Path] = {}
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        for folder in [_owner(path)] if path.is_file() else find_guidelines(path):
            folders.setdefault(folder.resolve(), folder)
    return Targets(list(folders.values()))


def one_guideline(path: Path | None, cwd: Path | None = None) -> tuple[Path | None, str | None]:
    """The guideline folder to use (None: the packaged one), and a note when it was chosen here.

    Raises ``UsageError`` when the guidance here holds several guidelines.
    """
    from .errors import UsageError

    if path is not None:
        return path, None
    here = _local(cwd or Path.cwd())
    if here is None:
        return None, None
    folders, message = here
    if message is None:  # the guidance here is the packaged guidance: its default applies
        return None, None
    if len(folders) > 1:
        names = ", ".join(str(p) for p in folders)
        raise UsageError(f"this folder holds several guidelines ({names}); name one with --guidance DIR")
    return folders[0], message
