"""The ``kneeguide`` command line: validate, verify, assess, export, apply, formats, serve.

Every expected failure ends with a clear message and an exit code from
``ExitCode``, never a traceback.  Heavy modules are imported inside the
subcommand that needs them, so ``kneeguide --help`` stays quick.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .cli_report import require as _require
from .cli_report import say as _say
from .diagnostics import ExitCode
from .errors import KneeguideError, UsageError
from .json_input import MAX_ANSWERS_BYTES, MAX_JSON_DEPTH
from .reporters import formats_of

__all__ = ["DEBUG_ENV", "MAX_ANSWERS_BYTES", "MAX_JSON_DEPTH", "TIMEOUT_ENV", "UsageError", "main"]

DEBUG_ENV = "KNEEGUIDE_DEBUG"
"""Set to 1 to print the traceback of an internal error (exit 3)."""
TIMEOUT_ENV = "KNEEGUIDE_EXPORT_TIMEOUT"
"""Seconds one format may take to render before it is stopped (default ``DEFAULT_TIMEOUT``)."""
DEFAULT_TIMEOUT = 60.0
"""The plugin host's limit (``plugins.DEFAULT_TIMEOUT``), named here for ``--help`` without
loading the plugin host; a test keeps the two equal."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every outcome is an ``ExitCode``, never a traceback.

    Expected failures (``KneeguideError``) print their message and keep
    their code (1 invalid content, 2 bad usage, input, output or plugin); any
    other exception is a bug in kneeguide and exits 3 with how to report it.
    """
    from .terminal import SafeStream

    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout = SafeStream(real_out, "output")
    sys.stderr = SafeStream(real_err, "error")
    try:
        return _run(argv)
    finally:
        with contextlib.suppress(KneeguideError):  # standard error is gone: nothing is left to tell
            sys.stderr.flush()
        sys.stdout, sys.stderr = real_out, real_err


def _run(argv: Sequence[str] | None) -> int:
    try:
        parser = _parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse prints its own message
            code = int(exc.code or 0) and int(ExitCode.USAGE)
            sys.stdout.flush()
            return code
        code = int(args.run(args))
        sys.stdout.flush()
        return code
    except KneeguideError as exc:
        _say(f"kneeguide: error: {exc}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _say("kneeguide: interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # the reader stopped early (``| head``): not a failure
        return ExitCode.OK
    except Exception as exc:
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """A bug: a short message, how to report it, and a distinct exit code."""
    import traceback

    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
    text = str(exc).splitlines()[0][:300] if str(exc).strip() else ""
    lines = [
        f"kneeguide: internal error: {type(exc).__name__}{': ' + text if text else ''}{at}",
        f"This is a bug in kneeguide {__version__}, not a problem with your content or answers.",
        "Please report it with the command you ran and this message"
        + ("." if os.environ.get(DEBUG_ENV) else f"; set {DEBUG_ENV}=1 to include the traceback."),
    ]
    if os.environ.get(DEBUG_ENV):
        lines.insert(0, "".join(traceback.format_exception(exc)).rstrip())
    _say("\n".join(lines))
    return ExitCode.INTERNAL


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kneeguide",
        description="Self-care guidance for knee muscle spasms: validate, verify, assess and export it.",
    )
    p.add_argument("--version", action="version", version=f"kneeguide {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check guidance content and report every problem")
    v.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=_PATHS_HELP)
    v.add_argument("--format", choices=formats_of("validate"), default="text")
    v.add_argument(
        "--review-window",
        type=int,
        default=30,
        metavar="DAYS",
        help="warn when the next review is due within DAYS (default 30)",
    )
    v.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="check review dates as on this day (default: $KNEEGUIDE_TODAY, else today in UTC)",
    )
    v.set_defaults(run=_validate)

    vf = sub.add_parser("verify", help="prove the rules consistent over every possible answer set")
    vf.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=_PATHS_HELP)
    vf.add_argument("--format", choices=formats_of("verify"), default="text")
    vf.set_defaults(run=_verify)

    a = sub.add_parser("assess", help="assess one person's answers")
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--answers", metavar="FILE", help="a JSON object of answers, or - for standard input")
    src.add_argument("--interactive", action="store_true", help="ask each question in the terminal")
    a.add_argument(
        "--guidance", type=Path, metavar="DIR", help="a guideline folder instead of the packaged one"
    )
    a.add_argument(
        "--format",
        choices=("text", "json", "html", "pdf"),
        default="text",
        help="text or json on standard output, or the person's plan as html or pdf (needs -o)",
    )
    a.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the plan to FILE (html and pdf)")
    a.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help="paper for a pdf plan (default: a4)"
    )
    _locale_option(a)
    a.set_defaults(run=_assess)

    iv = sub.add_parser("interview", help="where an interview stands for a partial answer set")
    iv.add_argument(
        "--answers", metavar="FILE", required=True, help="a JSON object of answers, or - for stdin"
    )
    iv.add_argument(
        "--guidance", type=Path, metavar="DIR", help="a guideline folder instead of the packaged one"
    )
    iv.add_argument("--format", choices=("text", "json"), default="text")
    _locale_option(iv)
    iv.set_defaults(run=_interview)

    e = sub.add_parser("export", help="export the guidance in one format, or all")
    e.add_argument("format", metavar="FORMAT", help="a format from 'kneeguide formats', or 'all'")
    e.add_argument(
        "-o", "--output", type=Path, default=Path("dist"), metavar="DIR", help="output folder (default: dist)"
    )
    e.add_argument(
        "--guidance",
        type=Path,
        metavar="DIR",
        help="a guideline folder (default: the one in ./guidance when there is one, else the packaged one)",
    )
    e.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"stop a format that takes longer to render (default: ${TIMEOUT_ENV}, else {DEFAULT_TIMEOUT:g})",
    )
    e.add_argument(
        "--fhir-bundle",
        choices=("collection", "transaction"),
        help="the fhir format's Bundle type (default: collection; transaction: to POST to a FHIR server)",
    )
    _locale_option(e, also="; 'all' writes every shipped locale, one folder each")
    e.set_defaults(run=_export)

    ap = sub.add_parser("apply", help="$apply a FHIR QuestionnaireResponse: R4 CarePlan and RequestGroup")
    ap.add_argument(
        "--response", metavar="FILE", required=True, help="a QuestionnaireResponse (JSON), or - for stdin"
    )
    ap.add_argument(
        "--guidance", type=Path, metavar="DIR", help="a guideline folder instead of the packaged one"
    )
    ap.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="write the Bundle into DIR instead of standard output",
    )
    ap.set_defaults(run=_apply)

    f = sub.add_parser("formats", help="list every export format and the plugin providing it")
    f.add_argument("--format", choices=formats_of("formats"), default="text")
    f.set_defaults(run=_formats)

    d = sub.add_parser("diff", help="what a content change does to patients, and version discipline")
    d.add_argument("base", metavar="BASE", help="a guideline folder, or a git revision (REV or REV:path)")
    d.add_argument("head", metavar="HEAD", help="a guideline folder, or a git revision (REV or REV:path)")
    d.add_argument("--format", choices=formats_of("diff"), default="text")
    d.set_defaults(run=_diff)

    sv = sub.add_parser("serve", help="serve the guidance over HTTP and CDS Hooks (needs the serve extra)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    sv.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    sv.add_argument(
        "--guidance", type=Path, metavar="DIR", help="a guideline folder instead of the packaged one"
    )
    sv.add_argument(
        "--max-body",
        type=int,
        default=64 * 1024,
        metavar="BYTES",
        help="largest request body (default: 65536)",
    )
    sv.add_argument(
        "--fhir-server",
        action="append",
        metavar="URL",
        help="a FHIR base URL that CDS Hooks calls may search (repeatable; default: "
        "$KNEEGUIDE_FHIR_SERVERS, else none)",
    )
    sv.set_defaults(run=_serve)

    s = sub.add_parser("schemas", help="write the JSON Schemas generated from the models")
    s.add_argument("--write", type=Path, metavar="DIR", required=True)
    s.set_defaults(run=_schemas)
    return p


def _locale_option(p: argparse.ArgumentParser, also: str = "") -> None:
    p.add_argument(
        "--locale",
        metavar="TAG",
        help=f"a shipped locale, BCP 47 (default: the content's own, en-GB){also}",
    )


# --- validate, verify, diff, formats (kneeguide.cli_report) ------------------------------

_PATHS_HELP = (
    "guideline folders, folders of them, or files inside them (each file's guideline is "
    "checked once); default: ./guidance when it holds guidelines, else the packaged guidance"
)


def _validate(args: argparse.Namespace) -> int:
    from .cli_report import validate

    return validate(args)


def _verify(args: argparse.Namespace) -> int:
    _require("z3", "verify", "'kneeguide verify'")
    from .cli_report import verify

    return verify(args)


def _diff(args: argparse.Namespace) -> int:
    _require("z3", "verify", "'kneeguide diff'")
    from .cli_report import diff

    return diff(args)


def _formats(args: argparse.Namespace) -> int:
    from .cli_report import formats

    return formats(args)


# --- assess, interview, export, apply, serve (kneeguide.cli_use) -------------------------


def _assess(args: argparse.Namespace) -> int:
    from .cli_use import assess

    return assess(args)


def _interview(args: argparse.Namespace) -> int:
    from .cli_use import interview

    return interview(args)


def _export(args: argparse.Namespace) -> int:
    from .cli_use import export

    return export(args)


def _apply(args: argparse.Namespace) -> int:
    from .cli_use import apply

    return apply(args)


def _serve(args: argparse.Namespace) -> int:
    from .cli_use import serve

    return serve(args)


def _schemas(args: argparse.Namespace) -> int:
    from .schemas import write

    for path in write(args.write):
        print(f"wrote {path}")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
