"""One table of reporters for the commands that report: validate, verify, diff and formats.

Each command offers the same formats (``text``, ``json`` and ``github``;
``diff`` adds ``markdown``), so CI can ask any of them for GitHub
annotations.  The table names each renderer by module and function and
imports it only when used, so ``kneeguide --help`` stays quick.

What each renderer takes (its ``payload``):

* validate: ``(diagnostics, summary)``;
* verify: ``(report, guidance)``, a ``proof_report.Report`` and the guidance it is about;
* diff: ``(diff, head_folder)``, a ``diff.Diff`` and the head side's folder
  when it is a folder of this checkout (so annotations can name its files), else None;
* formats: ``(rows,)``, one mapping per format or failed plugin.

Content that is not valid guidance is reported by the validate reporters in
the same format, whichever command met it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic

__all__ = ["REPORTERS", "annotation", "formats_of", "locate", "render"]

REPORTERS: dict[str, dict[str, str]] = {
    "validate": {
        "text": "kneeguide.reporters:diagnostics_text",
        "json": "kneeguide.reporters:diagnostics_json",
        "github": "kneeguide.reporters:diagnostics_github",
    },
    "verify": {
        "text": "kneeguide.reporters:verify_text",
        "json": "kneeguide.reporters:verify_json",
        "github": "kneeguide.reporters:verify_github",
    },
    "diff": {
        "text": "kneeguide.reporters:diff_text",
        "markdown": "kneeguide.reporters:diff_markdown",
        "json": "kneeguide.reporters:diff_json",
        "github": "kneeguide.diff_github:diff_github",
    },
    "formats": {
        "text": "kneeguide.reporters:formats_text",
        "json": "kneeguide.reporters:formats_json",
        "github": "kneeguide.reporters:formats_github",
    },
}
"""command -> format -> "module:function" of the renderer."""


def formats_of(command: str) -> list[str]:
    """The formats ``command`` offers, for its ``--format`` choices."""
    return sorted(REPORTERS[command])


def render(command: str, fmt: str, *payload: Any) -> str:
    """The report of ``command`` in format ``fmt``."""
    module, _, name = REPORTERS[command][fmt].partition(":")
    renderer: Callable[..., str] = getattr(importlib.import_module(module), name)
    return renderer(*payload)


def invalid(fmt: str, diagnostics: Sequence[Diagnostic], summary: str) -> str:
    """Content that is not valid guidance, in ``fmt`` (markdown falls back to text)."""
    return render("validate", fmt if fmt in REPORTERS["validate"] else "text", diagnostics, summary)


# --- GitHub workflow commands -------------------------------------------------------------


def _escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def annotation(
    kind: str,
    message: str,
    *,
    file: str | None = None,
    line: int = 0,
    column: int = 0,
    title: str | None = None,
) -> str:
    """One GitHub workflow command (``::error file=...,line=...::message``), escaped."""
    props = []
    if file:
        props.append(f"file={_escape(file, prop=True)}")
        if line:
            props.append(f"line={line}")
            if column:
                props.append(f"col={column}")
    if title:
        props.append(f"title={_escape(title, prop=True)}")
    return f"::{kind} {','.join(props)}::{_escape(message)}" if props else f"::{kind}::{_escape(message)}"


def locate(folder: Path, item_id: str) -> tuple[str, int, int] | None:
    """(file, line, column) of the ``id`` of the item ``item_id`` in a guideline folder.

    Read from the files' recorded positions, so a rule renamed or written in
    flow style is found as surely as any other.
    """
    from .models import ITEM_LISTS
    from .yamlsource import SourceError, read_yaml

    for fname, key in ITEM_LISTS.items():
        try:
            doc = read_yaml(folder / fname)
        except SourceError:
            continue
        items = doc.data.get(key) if isinstance(doc.data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("id") == item_id:
                line, col = doc.position((key, i, "id"))
                return str(folder / fname), line, col
    return None


# --- validate ----------------------------------------------------------------------------


def diagnostics_text(diagnostics: Iterable[Diagnostic], summary: str) -> str:
    lines = []
    for d in diagnostics:
        field = f" [{d.field}]" if d.field else ""
        lines.append(f"{d.location}: {d.severity}{field} {d.code}: {d.message}")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def diagnostics_json(diagnostics: Iterable[Diagnostic], summary: str) -> str:
    items = [asdict(d) for d in diagnostics]
    errors = sum(1 for d in items if d["severity"] == "error")
    payload = {
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(items) - errors,
        "summary": summary,
        "diagnostics": items,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def diagnostics_github(diagnostics: Iterable[Diagnostic], summary: str) -> str:
    """GitHub workflow commands, so problems show on the pull request's diff."""
    lines = [
        annotation(
            d.severity,
            d.message,
            file=d.file,
            line=d.line,
            column=d.column,
            title=f"{d.code} {d.field}" if d.field else d.code,
        )
        for d in diagnostics
    ]
    lines.append(summary)
    return "\n".join(lines) + "\n"


# --- verify ------------------------------------------------------------------------------


def verify_text(report: Any, guidance: Any) -> str:
    from .proof_report import render_text

    text: str = render_text(report)
    return text


def verify_json(report: Any, guidance: Any) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def verify_github(report: Any, guidance: Any) -> str:
    """One ``::error`` per failed property, at the first rule involved; a notice when all hold."""
    lines = []
    for c in report.failures:
        where = locate(guidance.folder, c.rules[0]) if c.rules else None
        body = c.message
        if c.rules:
            body += f"\nrules: {', '.join(c.rules)}"
        if c.counterexample is not None:
            body += f"\ncounterexample: {json.dumps(c.counterexample, ensure_ascii=False)}"
        if c.counterexample_after is not None:
            body += f"\nafter: {json.dumps(c.counterexample_after, ensure_ascii=False)}"
        file, line, _ = where or (None, 0, 0)
        lines.append(annotation("error", body, file=file, line=line, title=f"kneeguide verify: {c.property}"))
    if report.ok:
        lines.append(
            annotation(
                "notice",
                f"{len(report.checks)} properties proved ({report.solver}, {report.seconds:.2f} s)",
                title="kneeguide verify",
            )
        )
    return "\n".join(lines) + "\n"


# --- diff --------------------------------------------------------------------------------


def diff_text(d: Any, head_folder: Path | None) -> str:
    from .diff_report import RENDERERS

    return str(RENDERERS["text"](d))


def diff_markdown(d: Any, head_folder: Path | None) -> str:
    from .diff_report import RENDERERS

    return str(RENDERERS["markdown"](d))


def diff_json(d: Any, head_folder: Path | None) -> str:
    from .diff_report import RENDERERS

    return str(RENDERERS["json"](d))


# --- formats -----------------------------------------------------------------------------


def formats_text(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for r in rows:
        state = "" if r["available"] else f"  UNAVAILABLE: {r['description']}"
        origin = f"{r['plugin']} ({r['distribution']} {r['version']})"
        lines.append(f"{r['format']:<10} {r['media_type']!s:<24} {origin}{state}")
    return "".join(line + "\n" for line in lines)


def formats_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(rows), indent=2) + "\n"


def formats_github(rows: Sequence[Mapping[str, Any]]) -> str:
    """An ``::error`` per plugin that failed to load; a notice listing the formats available."""
    lines = [
        annotation("error", str(r["description"]), title=f"kneeguide formats: {r['plugin']}")
        for r in rows
        if not r["available"]
    ]
    available = [str(r["format"]) for r in rows if r["available"]]
    lines.append(
        annotation(
            "notice", f"formats available: {', '.join(available) or 'none'}", title="kneeguide formats"
        )
    )
    return "\n".join(lines) + "\n"
