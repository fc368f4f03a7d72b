"""The reporting commands of the command line: validate, verify, diff and formats.

Each prints through the shared reporter table (``kneeguide.reporters``) in
the format asked for, also when the content is not valid guidance: then the
problems come as the validate reporter gives them, so ``verify --format
github`` on broken content still annotates the pull request.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .diagnostics import ExitCode
from .errors import UsageError
from .reporters import invalid, render

__all__ = ["diff", "formats", "note", "require", "say", "validate", "verify", "warnings_to_stderr"]


def require(module: str, extra: str, what: str) -> None:
    """Refuse early, naming the extra to install, when an optional dependency is missing."""
    import importlib.util

    from .errors import MissingExtraError

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(extra, module, what)


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show kneeguide's warnings (an overdue review) as one line each on standard error."""
    from .errors import KneeguideWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", KneeguideWarning)
        yield
    for w in caught:
        if issubclass(w.category, KneeguideWarning):
            say(f"kneeguide: warning: {w.message}")
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def say(message: str) -> None:
    """One message on standard error; nothing when standard error cannot be written either."""
    from .errors import KneeguideError

    with contextlib.suppress(KneeguideError, OSError):
        print(message, file=sys.stderr)


def note(message: str | None) -> None:
    """Tell the user on standard error what was chosen for them."""
    if message:
        say(f"kneeguide: note: {message}")


def validate(args: argparse.Namespace) -> int:
    from .loader import check
    from .review import resolve_today
    from .targets import guideline_folders

    try:
        today = resolve_today(args.today)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    targets = guideline_folders(args.paths)
    note(targets.note)
    diagnostics = []
    summaries = []
    for folder in targets.folders:
        result = check(folder, today=today, review_warning_days=args.review_window)
        diagnostics.extend(result.diagnostics)
        errors = len(result.errors)
        warnings = len(result.diagnostics) - errors
        if result.guidance is not None:
            g = result.guidance
            reading = ""
            if result.reading is not None:
                reading = (
                    f", patient text at SMOG grade {result.reading.smog} "
                    f"(limit {g.metadata.reading_grade_max})"
                )
            if len(result.readings) > 1:
                reading += "; by locale: " + "; ".join(f"{t} {r}" for t, r in result.readings.items())
            summaries.append(
                f"{folder}: {g.id} {g.version} is valid ({warnings} warning(s)){reading}, digest {g.digest}"
            )
        else:
            summaries.append(f"{folder}: {errors} error(s), {warnings} warning(s)")
    sys.stdout.write(render("validate", args.format, diagnostics, "\n".join(summaries)))
    return ExitCode.INVALID if any(d.severity == "error" for d in diagnostics) else ExitCode.OK


def verify(args: argparse.Namespace) -> int:
    """Verify each guideline folder; with several, JSON is a list of their reports."""
    from .loader import ContentError, load
    from .targets import guideline_folders
    from .verifier import verify as prove

    targets = guideline_folders(args.paths)
    note(targets.note)
    code = ExitCode.OK
    outputs = []
    for folder in targets.folders:
        try:
            with warnings_to_stderr():
                guidance = load(folder)
        except ContentError as exc:
            summary = f"{folder}: the guidance is invalid: run 'kneeguide validate' for details"
            outputs.append(invalid(args.format, exc.diagnostics, summary))
            code = ExitCode.INVALID
            continue
        report = prove(guidance)
        outputs.append(render("verify", args.format, report, guidance))
        if not report.ok:
            code = ExitCode.INVALID
    if args.format == "json" and len(outputs) > 1:
        sys.stdout.write("[\n" + ",\n".join(o.rstrip("\n") for o in outputs) + "\n]\n")
    else:
        sys.stdout.write("".join(outputs))
    return code


def diff(args: argparse.Namespace) -> int:
    from .diff import DiffError, open_side
    from .diff import diff as compare
    from .loader import ContentError

    head_folder = Path(args.head) if Path(args.head).is_dir() else None
    try:
        with open_side(args.base) as base, open_side(args.head) as head:
            result = compare(base, head)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    except ContentError as exc:
        sys.stdout.write(invalid(args.format, exc.diagnostics, "a side of the diff is not valid guidance"))
        return ExitCode.INVALID
    sys.stdout.write(render("diff", args.format, result, head_folder))
    return ExitCode.OK if result.ok else ExitCode.INVALID


def formats(args: argparse.Namespace) -> int:
    from .plugins import PluginHost

    host = PluginHost.discover()
    rows: list[dict[str, Any]] = [
        {
            "format": name,
            "media_type": p.format.media_type,
            "plugin": p.plugin,
            "distribution": p.distribution,
            "version": p.version,
            "description": p.format.description,
            "available": True,
        }
        for name, p in sorted(host.formats.items())
    ]
    rows += [
        {
            "format": f.plugin,
            "media_type": "",
            "plugin": f.plugin,
            "distribution": f.distribution,
            "version": f.version,
            "description": f.message,
            "available": False,
        }
        for f in host.failures
    ]
    sys.stdout.write(render("formats", args.format, rows))
    return ExitCode.USAGE if host.failures else ExitCode.OK
