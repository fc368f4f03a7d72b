"""The commands that use the guidance: assess, interview, export, apply and serve.

The parser and the dispatch stay in ``kneeguide.cli``; each handler here is
imported only when its command runs, so ``kneeguide --help`` and the
reporting commands (``kneeguide.cli_report``) never load the engine, the
plugin host or the service.  Invalid content is a bad input here (exit 2):
these commands need guidance that works, and ``kneeguide validate`` says why
it does not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .cli_report import require, say, warnings_to_stderr
from .diagnostics import ExitCode
from .errors import UsageError
from .json_input import json_kind, read_answers

__all__ = [
    "answer_object",
    "apply",
    "assess",
    "bad_answers",
    "export",
    "guidance_for_use",
    "interview",
    "serve",
]


def guidance_for_use(path: Path | None, locale: str | None = None) -> Any:
    """Guidance for assess and export, in ``locale``: invalid content is a bad input (exit 2)."""
    from .errors import ContentError
    from .store import load

    if path is not None and not path.exists():
        raise UsageError(f"guidance folder {path} does not exist")
    try:
        with warnings_to_stderr():
            guidance = load(path)
            return guidance if locale is None or locale == "all" else guidance.localized(locale)
    except ContentError as exc:
        lines = [f"  {d.location}: {d.message}" for d in exc.diagnostics if d.severity == "error"][:10]
        raise UsageError("the guidance is invalid (run 'kneeguide validate'):\n" + "\n".join(lines)) from None


# --- assess and interview ------------------------------------------------------------


def assess(args: argparse.Namespace) -> int:
    """One person's result from a JSON answer set or a terminal interview, as text, json or a plan."""
    from .errors import AnswersError

    plan = args.format in ("html", "pdf")
    if plan and args.output is None:
        raise UsageError(f"--format {args.format} writes a file: give it with -o FILE")
    if not plan and args.output is not None:
        raise UsageError("-o is for --format html or pdf; text and json go to standard output")
    guidance = guidance_for_use(args.guidance, args.locale)
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
        answers = answer_object(read_answers(args.answers))
        try:
            assessment = guidance.assess(answers)
        except AnswersError as exc:
            raise UsageError(bad_answers(exc)) from None
    if plan:
        return write_plan(guidance, assessment, args)
    if args.format == "json":
        sys.stdout.write(assessment.to_json() + "\n")
    else:
        from .report import assessment_text

        sys.stdout.write(assessment_text(guidance, assessment))
    return ExitCode.OK


def write_plan(guidance: Any, assessment: Any, args: argparse.Namespace) -> int:
    """Render the person's plan and write it atomically: the old file or the new, never half."""
    if args.format == "pdf":
        require("typst", "pdf", "a pdf plan")
    else:
        require("jinja2", "html", "an html plan")
    from kneeguide_exporters.plan import render_plan

    from .export import write_files

    target: Path = args.output
    data = render_plan(guidance, assessment, args.format, args.paper)
    write_files(target.parent, {target.name: data})
    print(f"kneeguide: wrote {target}", file=sys.stderr)
    return ExitCode.OK


def answer_object(answers: object) -> dict[str, object]:
    """The answers as an object keyed by question id, or a refusal naming what came instead."""
    if not isinstance(answers, dict):
        raise UsageError(f"the answers must be a JSON object keyed by question id, not {json_kind(answers)}")
    return answers


def bad_answers(exc: Any) -> str:
    """Every bad answer of an ``AnswersError``, one line each, for a refusal."""
    lines = [f"  {p.field}: {p.message}" for p in exc.problems]
    return f"{len(lines)} bad answer(s):\n" + "\n".join(lines)


def interview(args: argparse.Namespace) -> int:
    """Where an interview stands for a partial answer set: what is settled, what to ask next."""
    from .engine import AnswersError

    guidance = guidance_for_use(args.guidance, args.locale)
    answers = answer_object(read_answers(args.answers))
    try:
        step = guidance.interview(answers)
    except AnswersError as exc:
        raise UsageError(bad_answers(exc)) from None
    if args.format == "json":
        sys.stdout.write(step.to_json() + "\n")
    else:
        from .report import interview_text

        sys.stdout.write(interview_text(guidance, step))
    return ExitCode.OK


def export(args: argparse.Namespace) -> int:
    """Export the guidance in one format or all, refusing unknown formats and options first."""
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
            raise UsageError("no export format is available" + failures_note(host))
    elif args.format in host.formats:
        chosen = [args.format]
    else:
        failed = [f for f in host.failures if f.plugin == args.format]
        if failed:
            raise UsageError(str(failed[0]))
        known = ", ".join(sorted(host.formats)) or "none"
        raise UsageError(f"unknown format {args.format!r} (available: {known})" + failures_note(host))
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
    guidance = guidance_for_use(folder, args.locale)
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
        say(f"kneeguide: warning: {failure}")
    if failures:
        raise UsageError("\n".join(failures))
    return ExitCode.OK


def apply(args: argparse.Namespace) -> int:
    """$apply in process: the response's CarePlan, RequestGroup and CommunicationRequests."""
    from kneeguide_exporters.fhir.apply import apply as apply_response

    from .errors import AnswersError
    from .export import ExportError, write_files

    guidance = guidance_for_use(args.guidance)
    response = read_answers(args.response)
    if not isinstance(response, dict):
        raise UsageError(
            f"the response must be a JSON object (a QuestionnaireResponse), not {json_kind(response)}"
        )
    try:
        bundle = apply_response(guidance, response)
    except AnswersError as exc:
        raise UsageError(bad_answers(exc)) from None
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


def failures_note(host: Any) -> str:
    """The plugins that failed to load, one indented line each, to append to a refusal."""
    if not host.failures:
        return ""
    return "\n" + "\n".join(f"  {f}" for f in host.failures)


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP and CDS Hooks service until stopped (needs the serve extra)."""
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
    guidance = guidance_for_use(args.guidance)
    try:
        run(guidance, args.guidance, args.host, args.port, args.workers, args.max_body, servers)
    except SystemExit as exc:  # uvicorn exits when it cannot start, after logging why
        if exc.code:
            raise UsageError(
                f"the service could not start on {args.host}:{args.port} (see the log)"
            ) from None
    return ExitCode.OK
