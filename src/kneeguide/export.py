"""Write exports atomically: a failed export leaves no partial file behind.

Every file is rendered in memory first.  Only when all of them exist are they
written, each to a temporary file in the target folder and then renamed over
the final name, so a reader sees the old file or the new one, never half of
one, and a failure mid-way keeps the previous good export.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

__all__ = ["ExportError", "RenderError", "write_files"]


def _file_mode() -> int:
    """The mode a plain ``open`` would give: 0666 less the umask (mkstemp gives 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


class ExportError(Exception):
    """An export could not be written; nothing partial was left behind."""


class RenderError(ExportError):
    """The rendered files themselves are wrong (a name or a type): the plugin is at fault."""


def _safe_name(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("..", "") for p in rel.parts) or "\\" in name:
        raise RenderError(f"refusing to write outside the output folder: {name!r}")
    return rel


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (relative name -> bytes) under ``folder`` atomically."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is not a folder")
    names = {name: _safe_name(name) for name in files}
    for name, data in files.items():
        if not isinstance(data, bytes):
            raise RenderError(f"{name!r} was rendered as {type(data).__name__}, expected bytes")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {folder}: {exc.strerror or exc}") from None
    staged: list[tuple[str, Path]] = []
    mode = _file_mode()
    try:
        for name, rel in names.items():
            target = folder.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((tmp, target))
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(files[name])
                fh.flush()
                os.fsync(fh.fileno())
        for _, target in staged:  # refuse before replacing anything, so no export is half new
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(errno.EISDIR, f"{target} is a folder")
        for tmp, target in staged:
            os.replace(tmp, target)
    except BaseException as exc:  # e.g. ValueError for a NUL in a name: still clean up
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write to {folder}: {exc.strerror or exc}") from None
        raise
    return [target for _, target in staged]
