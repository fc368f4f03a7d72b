"""Where validated guidance is kept between processes, so ``load`` validates once.

``load()`` of the packaged guidance reads the compact form the wheel was
built with (``hatch_build.py`` validates the content with the full pipeline
and writes ``kneeguide/_data/compiled/<id>.json``).  A folder, and the
packaged guidance of a source checkout or editable install, is validated
once and its compact form kept in a cache:

* the key is a hash of the folder's YAML files as bytes, of kneeguide's own
  code and schemas, and of the form's version: changing any content file,
  or the checks that passed it, misses the cache;
* an entry is restored only after its content digest is recomputed and
  matches (``compact.restore``), from a folder of the current user that no
  one else may write; entries are written whole, then renamed into place;
* a folder holding a symbolic link or anything but regular files is never
  cached: the full pipeline decides about it every time.

``KNEEGUIDE_CACHE_DIR`` names the cache folder (default
``$XDG_CACHE_HOME/kneeguide``, else ``~/.cache/kneeguide``); ``off`` turns the
cache off.  ``kneeguide validate`` never reads a cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import stat
import tempfile
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .compact import FORMAT, CompactError, dumps, restore
from .resources import DEFAULT_GUIDELINE, compiled_path, guidance_root, schemas_dir

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["CACHE_ENV", "cache_dir", "find_guidelines", "load", "source_key"]

CACHE_ENV = "KNEEGUIDE_CACHE_DIR"
_MAX_BYTES = 512 * 1024
"""Larger files are left to the full pipeline, which refuses them with its own message."""


def find_guidelines(path: Path) -> list[Path]:
    """The guideline folders at ``path``: itself, or each sub-folder that is one."""
    if (path / "guideline.yaml").exists() or not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if (p / "guideline.yaml").is_file())
    return found or [path]


def load(
    path: str | Path | None = None, *, today: dt.date | None = None, locale: str | None = None
) -> Guidance:
    """Load and validate a guideline folder (the packaged one by default).

    ``locale`` (BCP 47, e.g. ``en-US``) gives the guidance in a shipped locale
    (``Guidance.localized``); the default is the content's default locale.

    Raises ``ContentError`` carrying every problem when the content is invalid.
    A review date that has passed (in UTC, on ``today`` when given) is no
    error here: it gives a ``ReviewOverdueWarning``; ``review.review_status``
    tells the same to a host that asks.
    """
    from .errors import ContentError
    from .review import review_status

    folder = Path(path) if path is not None else guidance_root() / DEFAULT_GUIDELINE
    guidance = _packaged() if path is None else None
    if guidance is None:
        folders = find_guidelines(folder)
        if len(folders) != 1:
            from .diagnostics import Diagnostic

            several = "holds several guidelines; name one folder"
            raise ContentError([Diagnostic(str(folder), 0, 0, "", several, code="io")])
        guidance = _cached_or_checked(folders[0])
    status = review_status(guidance.metadata, today)
    if status.overdue:
        from .errors import ReviewOverdueWarning

        g = guidance
        warnings.warn(
            ReviewOverdueWarning(f"{g.id} {g.version}: {status.message} (see 'kneeguide validate')"),
            stacklevel=2,
        )
    return guidance if locale is None else guidance.localized(locale)


def _packaged() -> Guidance | None:
    """The packaged guidance from the compact form the wheel carries, if it does."""
    compiled = compiled_path(DEFAULT_GUIDELINE)
    if compiled is None:
        return None
    try:
        return restore(compiled.read_bytes(), guidance_root() / DEFAULT_GUIDELINE)
    except (OSError, CompactError):
        return None  # a damaged installation still works, the slow way


def _cached_or_checked(folder: Path) -> Guidance:
    """The folder's guidance from the cache, else from the full pipeline (then cached)."""
    from .errors import ContentError

    key = source_key(folder)
    entry = _entry(key) if key is not None else None
    if entry is not None:
        with contextlib.suppress(OSError, CompactError):
            return restore(entry.read_bytes(), folder)
    from .loader import check

    # Review dates gate content CI (``validate``), never use: overdue content
    # still loads, with a warning the host can see.
    result = check(folder, review_dates=False)
    if not result.ok or result.guidance is None:
        raise ContentError(result.diagnostics)
    if key is not None and entry is not None:
        _write(entry, dumps(result.guidance))
    return result.guidance


def source_key(folder: Path) -> str | None:
    """The cache key of a folder's content as bytes, or None when it must not be cached."""
    digest = hashlib.sha256(f"{FORMAT}\0{_code_key()}\0".encode())
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return None
    translations = Path(folder) / "translations"
    if translations.is_symlink():
        return None
    if translations.is_dir():
        try:
            entries += sorted(os.scandir(translations), key=lambda e: e.name)
        except OSError:
            return None
    for e in entries:
        if e.is_dir(follow_symlinks=False) and e.name == "translations":
            continue
        if not e.name.endswith((".yaml", ".yml")):
            continue
        info = e.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            return None
        try:
            with open(e.path, "rb") as fh:
                raw = fh.read(_MAX_BYTES + 1)
        except OSError:
            return None
        digest.update(f"{os.path.relpath(e.path, folder)}\0{len(raw)}\0".encode())
        digest.update(raw)
    return digest.hexdigest()


@cache
def _code_key() -> str:
    """A hash of kneeguide's modules and schemas: the checks a cached entry passed."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted([*here.rglob("*.py"), *schemas_dir().glob("*.json")]):
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """The cache folder (``KNEEGUIDE_CACHE_DIR``), or None when the cache is off."""
    chosen = os.environ.get(CACHE_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "kneeguide"


def _entry(key: str) -> Path | None:
    """Where the entry for ``key`` lives, in a private folder created if needed; None if unsafe."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None  # another user could write here: never trust what it holds
    return folder / f"{key}.json"


def _write(entry: Path, blob: bytes) -> None:
    """Write an entry whole, then rename it into place: readers never see half of one."""
    try:
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, entry)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
