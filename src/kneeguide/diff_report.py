"""The text of a ``kneeguide diff``: plain text, Markdown for a pull request, and JSON.

The comparison itself is ``kneeguide.diff``; the GitHub annotations are
``kneeguide.diff_github``.  Every renderer shows a reviewer the advice text
of each added or changed item, the breaking changes of the question set and
one example answer set per behaviour change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diff import Diff

__all__ = ["RENDERERS", "render_json", "render_markdown", "render_text"]


def _compact(answers: Mapping[str, object]) -> str:
    return json.dumps(answers, separators=(", ", ": "))


def render_text(d: Diff) -> str:
    """The diff for a terminal: items with their advice, breaking changes, behaviour, problems."""
    out = [f"{d.base['id']} {d.base['version']} -> {d.head['version']}"]
    if not d.items and not d.behaviour:
        out.append("no changes")
    if d.items:
        out.append("Items:")
        for c in d.items:
            detail = f" ({', '.join(c.fields)})" if c.fields else ""
            out.append(f"  {c.change:<8} {c.file} {c.id}{detail}")
            out += [f"           {line}" for line in c.advice.splitlines()]
    if d.breaking:
        out.append("Breaking (stored answer sets stop working):")
        out += [f"  {b}" for b in d.breaking]
    out.append(f"Behaviour: {d.behaviour_note}")
    for b in d.behaviour:
        flag = "SAFETY-RELEVANT (needs clinical sign-off): " if b.safety_relevant else ""
        out.append(f"  {flag}{b.description}: {b.before} -> {b.after}")
        out.append(f"    example answers: {_compact(b.answers)}")
    if not d.behaviour and "exactly" in d.behaviour_note:
        out.append("  no answer set gets a different urgency, advice or red flag")
    for p in d.problems:
        out.append(f"error: {p}")
    return "\n".join(out) + "\n"


def render_markdown(d: Diff) -> str:
    """The diff as a pull-request comment, the safety-relevant warning first."""
    out = [f"### Guidance diff: `{d.base['id']}` {d.base['version']} → {d.head['version']}", ""]
    if d.safety_relevant:
        out += ["> **Safety-relevant behaviour change: needs clinical sign-off.**", ""]
    for p in d.problems:
        out.append(f"- :x: {p}")
    if d.problems:
        out.append("")
    if d.breaking:
        out += ["#### Breaking changes (stored answer sets stop working)", ""]
        out += [f"- {b}" for b in d.breaking] + [""]
    out += ["#### Behaviour", "", f"_{d.behaviour_note}_", ""]
    if d.behaviour:
        out += ["| aspect | change | before | after | safety |", "|---|---|---|---|---|"]
        for b in d.behaviour:
            safety = "**yes**" if b.safety_relevant else "no"
            out.append(f"| `{b.aspect}` | {b.description} | {b.before} | {b.after} | {safety} |")
        out.append("")
        for b in d.behaviour:
            out += [
                f"<details><summary>Example for {b.aspect}</summary>",
                "",
                "```json",
                json.dumps(b.answers, indent=2),
                "```",
                "</details>",
                "",
            ]
    else:
        out += ["No answer set gets a different urgency, advice or red flag.", ""]
    out += ["#### Items", ""]
    if d.items:
        out += ["| change | file | id | fields |", "|---|---|---|---|"]
        for c in d.items:
            out.append(f"| {c.change} | {c.file} | `{c.id}` | {', '.join(c.fields)} |")
        signed = [c for c in d.items if c.advice]
        for c in signed:
            out += [
                f"<details><summary>What patients read: {c.id}</summary>",
                "",
                "```",
                c.advice,
                "```",
                "</details>",
            ]
        if signed:
            out.append("")
    else:
        out.append("No item changes.")
    return "\n".join(out) + "\n"


def render_json(d: Diff) -> str:
    """The diff as JSON (``Diff.to_json``), for tools."""
    return json.dumps(d.to_json(), indent=2, ensure_ascii=False) + "\n"


RENDERERS: Mapping[str, Callable[[Diff], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
"""The diff's renderers by format name (``kneeguide.reporters`` offers them)."""
