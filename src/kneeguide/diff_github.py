"""``kneeguide diff --format github``: what a change does to patients, as pull-request annotations.

Version problems are errors (the diff exits 1 on them); a safety-relevant
behaviour change is a warning that needs clinical sign-off; other behaviour
and item changes are notices.  An annotation names the changed item's line
in the head side when that side is a folder of the checkout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .reporters import annotation, locate

__all__ = ["diff_github"]


def diff_github(d: Any, head_folder: Path | None) -> str:
    """GitHub workflow commands for a ``diff.Diff``, ending with a one-line summary."""

    def where(item_id: str | None) -> tuple[str | None, int]:
        found = locate(head_folder, item_id) if head_folder is not None and item_id else None
        return (found[0], found[1]) if found else (None, 0)

    title = f"kneeguide diff {d.base['id']} {d.base['version']} -> {d.head['version']}"
    lines = [annotation("error", p, title=title) for p in d.problems]
    for b in d.behaviour:
        flag = b.aspect.split(":", 1)[1] if b.aspect.startswith("red_flag:") else None
        file, line = where(flag)
        body = (
            f"{b.description}: {b.before} -> {b.after}\n"
            f"example answers: {json.dumps(b.answers, ensure_ascii=False)}"
        )
        if b.safety_relevant:
            body = "SAFETY-RELEVANT (needs clinical sign-off): " + body
        kind = "warning" if b.safety_relevant else "notice"
        lines.append(annotation(kind, body, file=file, line=line, title=f"{title}: {b.aspect}"))
    for c in d.items:
        file, line = where(c.id) if c.change != "removed" else (None, 0)
        detail = f" ({', '.join(c.fields)})" if c.fields else ""
        lines.append(
            annotation("notice", f"{c.change} {c.file} {c.id}{detail}", file=file, line=line, title=title)
        )
    lines.append(
        f"{title}: {len(d.items)} item change(s), {len(d.behaviour)} behaviour change(s), "
        f"{len(d.problems)} problem(s)"
    )
    return "\n".join(lines) + "\n"
