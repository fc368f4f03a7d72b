"""The ``kneeguide`` command line: validate, verify, assess, export, apply, formats, serve.

Every expected failure ends with a clear message and an exit code from
``ExitCode``, never a traceback.  Heavy modules are imported inside the
subcommand that needs them, so ``kneeguide --help`` stays quick.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .cli_report import say as _say
from .cli_report import warnings_to_stderr as _warnings_to_stderr
from .diagnostics import ExitCode
from .errors import KneeguideError, MissingExtraError, UsageError
from .reporters import formats_of

__all__ = ["DEBUG_ENV", "TIMEOUT_ENV", "UsageError", "main"]

MAX_ANSWERS_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20
DEBUG_ENV = "KNEEGUIDE_DEBUG"
"""Set to 1 to print the traceback of an internal error (exit 3)."""
TIMEOUT_ENV = "KNEEGUIDE_EXPORT_TIMEOUT"
"""Seconds one format may take to render before it is stopped (default ``DEFAULT_TIMEOUT``)."""
DEFAULT_TIMEOUT = 120.0


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


def _require(module: str, extra: str, what: str) -> None:
    """Refuse early, naming the extra to install, when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(extra, module, what)


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


def _guidance_for_use(path: Path | None, locale: str | None = None) -> Any:
    """Guidance for assess and export, in ``locale``: invalid content is a bad input (exit 2)."""
    from .errors import ContentError
    from .store import load

    if path is not None and not path.exists():
        raise UsageError(f"guidance folder {path} does not exist")
    try:
        with _warnings_to_stderr():
            guidance = load(path)
            return guidance if locale is None or locale == "all" else guidance.localized(locale)
    except ContentError as exc:
        lines = [f"  {d.location}: {d.message}" for d in exc.diagnostics if d.severity == "error"][:10]
        raise UsageError("the guidance is invalid (run 'kneeguide validate'):\n" + "\n".join(lines)) from None


# --- assess ------------------------------------------------------------------------


def _read_answers(source: str) -> object:
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_ANSWERS_BYTES + 1)
            name = "standard input"
        else:
            with open(source, "rb") as fh:
                raw = fh.read(MAX_ANSWERS_BYTES + 1)
            name = source
    except OSError as exc:
        raise UsageError(f"cannot read answers from {source}: {exc.strerror or exc}") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise UsageError(f"the answers in {name} are larger than {MAX_ANSWERS_BYTES} bytes")
    if not raw.strip():
        raise UsageError(f"the answers in {name} are empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"the answers in {name} are not UTF-8 text") from None
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise UsageError(f"the answers in {name} are nested too deeply")
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except (json.JSONDecodeError, ValueError) as exc:
        raise UsageError(f"the answers in {name} are not valid JSON: {exc}") from None


def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, skipping brackets inside strings.

    Measured before parsing so the JSON parser never recurses into a hostile
    input; an unterminated string simply ends the scan (the parser reports it).
    """
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in answers")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Refuse a key given twice: which answer the sender meant cannot be known."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"{key!r} is given more than once")
        out[key] = value
    return out


def _assess(args: argparse.Namespace) -> int:
    from .errors import AnswersError

    plan = args.format in ("html", "pdf")
    if plan and args.output is None:
        raise UsageError(f"--format {args.format} writes a file: give it with -o FILE")
    if not plan and args.output is not None:
        raise UsageError("-o is for --format html or pdf; text and json go to standard output")
    guidance = _guidance_for_use(args.guidance, args.locale)
    if args.interactive:
        from .interactive import run_interview

        try:
            step = run_interview(guidance, sys.stdin, sys.stderr)
        except KeyboardInterrupt:
            print("\nkneeguide: interrupted", file=sys.stderr)
            return ExitCode.INTERRUPTED
        assert step.assessment is not None  # the interview ends only when the result is settled
        assessment = step.assessment
    else:
        answers = _answer_object(_read_answers(args.answers))
        try:
            assessment = guidance.assess(answers)
        except AnswersError as exc:
            raise UsageError(_bad_answers(exc)) from None
    if plan:
        return _write_plan(guidance, assessment, args)
    if args.format == "json":
        sys.stdout.write(assessment.to_json() + "\n")
    else:
        from .report import assessment_text

        sys.stdout.write(assessment_text(guidance, assessment))
    return ExitCode.OK


def _write_plan(guidance: Any, assessment: Any, args: argparse.Namespace) -> int:
    """Render the person's plan and write it atomically: the old file or the new, never half."""
    if args.format == "pdf":
        _require("typst", "pdf", "a pdf plan")
    else:
        _require("jinja2", "html", "an html plan")
    from kneeguide_exporters.plan import render_plan

    from .export import write_files

    target: Path = args.output
    data = render_plan(guidance, assessment, args.format, args.paper)
    write_files(target.parent, {target.name: data})
    print(f"kneeguide: wrote {target}", file=sys.stderr)
    return ExitCode.OK


def _answer_object(answers: object) -> dict[str, object]:
    if not isinstance(answers, dict):
        raise UsageError(f"the answers must be a JSON object keyed by question id, not {_json_kind(answers)}")
    return answers


def _bad_answers(exc: Any) -> str:
    lines = [f"  {p.field}: {p.message}" for p in exc.problems]
    return f"{len(lines)} bad answer(s):\n" + "\n".join(lines)


def _interview(args: argparse.Namespace) -> int:
    from .engine import AnswersError

    guidance = _guidance_for_use(args.guidance, args.locale)
    answers = _answer_object(_read_answers(args.answers))
    try:
        step = guidance.interview(answers)
    except AnswersError as exc:
        raise UsageError(_bad_answers(exc)) from None
    if args.format == "json":
        sys.stdout.write(step.to_json() + "\n")
    else:
        from .report import interview_text

        sys.stdout.write(interview_text(guidance, step))
    return ExitCode.OK


def _json_kind(value: object) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# --- export and formats -------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    from .export import ExportError, export_formats
    from .plugins import PluginHost, resolve_timeout

    try:
        timeout = resolve_timeout(args.timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    host = PluginHost.discover(timeout=timeout)
    if args.format == "all":
        chosen = sorted(host.formats)
        if not chosen:
            raise UsageError("no export format is available" + _failures_note(host))
    elif args.format in host.formats:
        chosen = [args.format]
    else:
        failed = [f for f in host.failures if f.plugin == args.format]
        if failed:
            raise UsageError(str(failed[0]))
        known = ", ".join(sorted(host.formats)) or "none"
        raise UsageError(f"unknown format {args.format!r} (available: {known})" + _failures_note(host))
    options: dict[str, dict[str, str]] = {}
    if args.fhir_bundle is not None:
        if "fhir" not in chosen:
            raise UsageError("--fhir-bundle needs the fhir format (or all)")
        options["fhir"] = {"bundle": args.fhir_bundle}
    from .plugins import check_options

    problems = [p for name, opts in options.items() for p in check_options(host.formats[name], opts)]
    if problems:
        raise UsageError("\n".join(problems))
    out = args.output
    if out.exists() and not out.is_dir():
        raise UsageError(f"output path {out} exists and is not a folder")
    from .cli_report import note
    from .targets import one_guideline

    folder, picked = one_guideline(args.guidance)
    note(picked)
    guidance = _guidance_for_use(folder, args.locale)
    targets = [(guidance.localized(t), out / t) for t in guidance.locales] if args.locale == "all" else []
    failures = []
    for g, where in targets or [(guidance, out)]:
        try:
            report = export_formats(host, chosen, g, where, timeout, options)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
        for name, written in report.written.items():
            for path in written:
                print(f"{name}: wrote {path}")
        failures += report.failures
    for failure in host.failures:
        _say(f"kneeguide: warning: {failure}")
    if failures:
        raise UsageError("\n".join(failures))
    return ExitCode.OK


def _apply(args: argparse.Namespace) -> int:
    """$apply in process: the response's CarePlan, RequestGroup and CommunicationRequests."""
    from kneeguide_exporters.fhir.apply import apply

    from .errors import AnswersError
    from .export import ExportError, write_files

    guidance = _guidance_for_use(args.guidance)
    response = _read_answers(args.response)
    if not isinstance(response, dict):
        raise UsageError(
            f"the response must be a JSON object (a QuestionnaireResponse), not {_json_kind(response)}"
        )
    try:
        bundle = apply(guidance, response)
    except AnswersError as exc:
        raise UsageError(_bad_answers(exc)) from None
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return ExitCode.OK
    name = f"{bundle['entry'][1]['resource']['id']}.apply.json"
    try:
        (path,) = write_files(args.output, {name: text.encode("utf-8")})
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    print(f"apply: wrote {path}")
    return ExitCode.OK


def _failures_note(host: Any) -> str:
    if not host.failures:
        return ""
    return "\n" + "\n".join(f"  {f}" for f in host.failures)


def _serve(args: argparse.Namespace) -> int:
    if args.workers < 1 or args.max_body < 1 or not 0 <= args.port <= 65535:
        raise UsageError("--workers and --max-body must be at least 1, and --port 0..65535")
    try:
        from .service.fhir_access import ENV_FHIR_SERVERS, FhirServers
        from .service.server import run
    except ImportError as exc:
        raise UsageError(
            f"the service needs the serve extra ({exc}): pip install 'kneeguide[serve]'"
        ) from None
    try:
        servers = FhirServers.configured(args.fhir_server, os.environ.get(ENV_FHIR_SERVERS))
    except ValueError as exc:
        raise UsageError(f"--fhir-server or {ENV_FHIR_SERVERS}: {exc}") from None
    guidance = _guidance_for_use(args.guidance)
    try:
        run(guidance, args.guidance, args.host, args.port, args.workers, args.max_body, servers)
    except SystemExit as exc:  # uvicorn exits when it cannot start, after logging why
        if exc.code:
            raise UsageError(
                f"the service could not start on {args.host}:{args.port} (see the log)"
            ) from None
    return ExitCode.OK


def _schemas(args: argparse.Namespace) -> int:
    from .schemas import write

    for path in write(args.write):
        print(f"wrote {path}")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
