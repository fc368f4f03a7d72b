"""Write exports atomically: a failed export leaves no partial file behind.

Every file is rendered in memory first.  Only when all of them exist are they
written, each to a temporary file in the target folder and then renamed over
the final name, so a reader sees the old file or the new one, never half of
one, and a failure mid-way keeps the previous good export.

A process killed mid-export (SIGKILL, a power cut) cannot clean up after
itself, so temporary files carry kneeguide's own pattern and the writer's
process id (``.NAME.kneeguide-PID-RANDOM.tmp``), and each export first
removes those of writers that are no longer running.

What a plugin's render returns is checked before anything is written
(``checked_files``): a dict of safe relative names to bytes, no name both a
file and a folder ("a" and "a/b"), at most ``MAX_FILES`` files and
``MAX_BYTES`` bytes.  ``export_formats`` renders each format (contained, see
``plugins``) and refuses a file another format of the same run already
wrote, naming both plugins; the other formats are still written.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .errors import ExportError, KneeguideError, RenderError

if TYPE_CHECKING:
    from .guidance import Guidance
    from .plugins import PluginHost

__all__ = [
    "MAX_BYTES",
    "MAX_FILES",
    "ExportError",
    "ExportReport",
    "RenderError",
    "checked_files",
    "clean_stale",
    "export_formats",
    "write_files",
]

MAX_FILES = 256
MAX_BYTES = 64 * 1024 * 1024
"""Per format.  The built-in exports are a few hundred KiB; this stops a runaway plugin filling a disk."""
_TMP_PREFIX = ".kneeguide-"
_STALE = re.compile(r"^\..+\.kneeguide-(\d+)-[A-Za-z0-9_]+\.tmp$")
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


def _file_mode() -> int:
    """The mode a plain ``open`` would give: 0666 less the umask (mkstemp gives 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _safe_name(name: object) -> PurePosixPath:
    if type(name) is not str:
        raise RenderError(f"a file name is a {type(name).__name__}, expected text: {name!r:.60}")
    if _BAD_CHARS.search(name):
        raise RenderError(f"file name {name!r} holds a control character or a backslash")
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("..", "") for p in rel.parts):
        raise RenderError(f"refusing to write outside the output folder: {name!r}")
    if any(len(p.encode("utf-8")) > 200 for p in rel.parts):
        raise RenderError(f"file name {name[:60]!r}... is too long")
    return rel


def checked_files(files: object) -> dict[str, bytes]:
    """What a render returned, as a plain dict of checked names to bytes; else ``RenderError``."""
    if not isinstance(files, Mapping) or not files:
        raise RenderError(
            f"render returned {type(files).__name__}, expected a dict of file name to bytes"
            if not isinstance(files, Mapping)
            else "render returned no files"
        )
    out: dict[str, bytes] = {}
    seen: dict[PurePosixPath, str] = {}
    for name, data in list(files.items())[: MAX_FILES + 1]:
        rel = _safe_name(name)
        if type(data) is not bytes:
            raise RenderError(f"{name!r} was rendered as {type(data).__name__}, expected bytes")
        if rel in seen:
            raise RenderError(f"file names {seen[rel]!r} and {name!r} are the same file")
        seen[rel] = str(name)
        out[str(name)] = data
    if len(out) > MAX_FILES:
        raise RenderError(f"render returned more than {MAX_FILES} files")
    size = sum(len(d) for d in out.values())
    if size > MAX_BYTES:
        raise RenderError(f"render returned {size} bytes, more than the limit of {MAX_BYTES}")
    for rel, name in seen.items():
        for parent in rel.parents:
            if parent in seen:
                raise RenderError(
                    f"file names {seen[parent]!r} and {name!r} clash: {seen[parent]!r} "
                    "would have to be both a file and a folder"
                )
    return out


def _clash(name: str, claimed: Mapping[PurePosixPath, str]) -> tuple[str, str] | None:
    """The claim ``name`` collides with: the same file, or one needing the other as a folder."""
    rel = PurePosixPath(name)
    for other in (rel, *rel.parents):
        if other in claimed:
            return str(other), claimed[other]
    for other, owner in claimed.items():
        if rel in other.parents:
            return str(other), owner
    return None


def clean_stale(folder: Path) -> list[Path]:
    """Remove temporary files that an export killed mid-way left under ``folder``.

    Only files of kneeguide's own pattern whose writer process is gone are
    removed; a concurrent export's files are left alone.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for root, _dirs, names in os.walk(folder):
        for name in names:
            m = _STALE.match(name)
            if m and not _running(int(m.group(1))):
                path = Path(root, name)
                try:
                    path.unlink()
                except OSError:
                    continue
                removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier process had our id; this one has written nothing yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (relative name -> bytes) under ``folder`` atomically."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is not a folder")
    files = checked_files(files)
    names = {name: _safe_name(name) for name in files}
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
            fd, tmp = tempfile.mkstemp(
                prefix=f".{target.name}{_TMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=target.parent
            )
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
    except BaseException as exc:  # still clean up, whatever stopped the write
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write to {folder}: {exc.strerror or exc}") from None
        raise
    return [target for _, target in staged]


@dataclass
class ExportReport:
    """What ``export_formats`` wrote, per format, and every format that failed."""

    written: dict[str, list[Path]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def export_formats(
    host: PluginHost,
    names: Sequence[str],
    guidance: Guidance,
    folder: Path,
    timeout: float,
    options: Mapping[str, Mapping[str, str]] | None = None,
) -> ExportReport:
    """Render and write each format in ``names``; one format's failure never stops another.

    Built-in formats go first, so their files are claimed before any third
    party's.  ``options`` holds each format's chosen options (see
    ``ExportFormat.options``).  Raises ``ExportError`` only when the folder
    itself is unusable.
    """
    from .plugins import BUILTIN_DISTRIBUTION, render_contained

    if folder.exists() and not folder.is_dir():
        raise ExportError(f"output path {folder} exists and is not a folder")
    clean_stale(folder)
    report = ExportReport()
    claimed: dict[PurePosixPath, str] = {}
    order = sorted(names, key=lambda n: (host.formats[n].distribution != BUILTIN_DISTRIBUTION, n))
    for name in order:
        files: dict[str, bytes] = {}  # free the last format's bytes (written) before the next render
        provided = host.formats[name]
        who = f"format {name!r} from plugin {provided.plugin!r} ({provided.distribution} {provided.version})"
        try:
            files = render_contained(provided, guidance, timeout, checked_files, (options or {}).get(name))
            for file_name in files:
                clash = _clash(file_name, claimed)
                if clash is not None:
                    raise RenderError(
                        f"{who} failed: file {file_name!r} clashes with {clash[0]!r}, "
                        f"already written by {clash[1]}"
                    )
            written = write_files(folder, files)
        except KneeguideError as exc:
            if isinstance(exc, ExportError) and not isinstance(exc, RenderError) and not folder.is_dir():
                raise  # the folder itself: no format can be written there
            message = str(exc)
            report.failures.append(message if message.startswith("format ") else f"{who} failed: {message}")
            continue
        for file_name in files:
            claimed[PurePosixPath(file_name)] = f"format {name!r} from plugin {provided.plugin!r}"
        report.written[name] = written
    return report
