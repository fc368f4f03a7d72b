"""What a content change does to patients: ``kneeguide diff BASE HEAD``.

A reviewer of a pull request needs more than changed lines.  This module
reports three things:

* **item changes**: red flags, rules, steps, questions and sources added,
  removed or reworded, field by field;
* **behaviour changes**, computed exactly with the verifier's SMT encoding
  (not by sampling): for urgency, ice/heat advice and each red flag, whether
  *some* valid answer set now gets a different result, with one concrete
  answer set and what the engines of both sides say for it.  Lowering urgency
  for some answer set, or newly allowing heat, is marked safety-relevant;
* **version discipline**: changed content needs a new version, a behaviour
  change needs at least a minor version, and the new version needs a
  change-log entry.

The text of the result (plain, Markdown, JSON) is ``kneeguide.diff_report``.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .diff_report import RENDERERS, render_json, render_markdown, render_text
from .errors import KneeguideError
from .guidance import Guidance
from .loader import ContentError, canonical_json, check
from .models import FILES, ITEM_LISTS, OPTIONAL_FILES, URGENCIES

__all__ = [
    "RENDERERS",
    "Diff",
    "DiffError",
    "diff",
    "open_side",
    "render_json",
    "render_markdown",
    "render_text",
]

DEFAULT_PATH = "guidance/knee-muscle-spasm"
_IGNORED_FOR_CONTENT = {"version", "change_log"}


class DiffError(KneeguideError):
    """A side of the diff cannot be read (exit 2)."""


@dataclass
class ItemChange:
    file: str
    id: str
    change: str  # added, removed, changed
    fields: list[str] = field(default_factory=list)
    advice: str = ""
    """The words a patient reads, for an added or changed item: what a reviewer signs off."""


@dataclass
class BehaviourChange:
    aspect: str  # urgency, thermal, red_flag:<id>
    description: str
    safety_relevant: bool
    answers: dict[str, object]
    before: str
    after: str


@dataclass
class Diff:
    base: dict[str, str]
    head: dict[str, str]
    items: list[ItemChange]
    behaviour: list[BehaviourChange]
    behaviour_note: str
    problems: list[str]
    breaking: list[str] = field(default_factory=list)
    """Changes of the question set that make stored answer sets invalid."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def safety_relevant(self) -> bool:
        return any(b.safety_relevant for b in self.behaviour)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["safety_relevant"] = self.safety_relevant
        return data


# --- reading the two sides ---------------------------------------------------------------


@contextmanager
def open_side(spec: str, default_path: str = DEFAULT_PATH) -> Iterator[Guidance]:
    """Load one side: a guidance folder, or ``REV`` / ``REV:path`` in the git repository here."""
    folder = Path(spec)
    if folder.is_dir():
        yield _load(folder)
        return
    rev, _, path = spec.partition(":")
    path = path or default_path
    with tempfile.TemporaryDirectory(prefix="kneeguide-diff-") as tmp:
        target = Path(tmp) / Path(path).name
        target.mkdir()
        for name in FILES:
            try:
                blob = subprocess.run(
                    ["git", "show", f"{rev}:{path}/{name}"], capture_output=True, check=True, timeout=60
                ).stdout
            except (OSError, subprocess.SubprocessError) as exc:
                if name in OPTIONAL_FILES and isinstance(exc, subprocess.CalledProcessError):
                    continue  # a revision from before the file, or a guide without it
                detail = getattr(exc, "stderr", b"") or b""
                reason = detail.decode("utf-8", "replace").strip() or str(exc)
                raise DiffError(
                    f"{spec!r} is neither a folder nor a readable git revision: {reason}"
                ) from None
            (target / name).write_bytes(blob)
        yield _load(target)


def _load(folder: Path) -> Guidance:
    result = check(folder, review_dates=False)
    if result.guidance is None:
        raise ContentError(result.diagnostics)
    return result.guidance


# --- comparing -----------------------------------------------------------------------------


def _items(g: Guidance) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for fname, key in ITEM_LISTS.items():
        for item in g.data.get(fname, {}).get(key, []):
            out[(fname, item["id"])] = item
    return out


def item_changes(base: Guidance, head: Guidance) -> list[ItemChange]:
    changes = []
    a, b = _items(base), _items(head)
    for key in sorted(a.keys() | b.keys()):
        if key not in b:
            changes.append(ItemChange(key[0], key[1], "removed"))
        elif key not in a:
            changes.append(ItemChange(key[0], key[1], "added", advice=_advice_text(b[key])))
        elif a[key] != b[key]:
            fields = sorted(f for f in a[key].keys() | b[key].keys() if a[key].get(f) != b[key].get(f))
            changes.append(ItemChange(key[0], key[1], "changed", fields, _advice_text(b[key])))
    meta_a = base.data["guideline.yaml"]["guideline"]
    meta_b = head.data["guideline.yaml"]["guideline"]
    fields = sorted(f for f in meta_a.keys() | meta_b.keys() if meta_a.get(f) != meta_b.get(f))
    if fields:
        changes.append(ItemChange("guideline.yaml", base.id, "changed", fields))
    if base.data["thermal.yaml"].get("hit_policy") != head.data["thermal.yaml"].get("hit_policy"):
        changes.append(ItemChange("thermal.yaml", "hit_policy", "changed", ["hit_policy"]))
    return changes


_ADVICE_FIELDS = ("title", "advice", "instructions", "text", "how_to", "cautions")


def _advice_text(item: Mapping[str, Any]) -> str:
    """The patient-facing words of an item, in one line per field."""
    parts = []
    for name in _ADVICE_FIELDS:
        value = item.get(name)
        if isinstance(value, list):
            value = " / ".join(v["text"] if isinstance(v, dict) else str(v) for v in value)
        if value:
            parts.append(f"{name}: {' '.join(str(value).split())}")
    return "\n".join(parts)


def _content_without_version(g: Guidance) -> bytes:
    data = json.loads(canonical_json(g.data))
    for key in _IGNORED_FOR_CONTENT:
        data["guideline.yaml"]["guideline"].pop(key, None)
    return canonical_json(data)


def _incompatible(base: Guidance, head: Guidance) -> str | None:
    """Why the two question sets cannot share one encoding, or None."""
    hq = {q.id: q for q in head.questions}
    for q in base.questions:
        h = hq.get(q.id)
        if h is not None and h.type != q.type:
            return f"question {q.id!r} changed type"
    return None


def breaking_changes(base: Guidance, head: Guidance) -> list[str]:
    """What makes an answer set stored for ``base`` invalid for ``head`` (a major version).

    A removed question, a new required one, an optional one made required, a
    narrowed range, a removed choice or a changed type: ``assess`` on the new
    version refuses answer sets that the old one accepted.
    """
    out = []
    bq, hq = {q.id: q for q in base.questions}, {q.id: q for q in head.questions}
    for qid, q in bq.items():
        h = hq.get(qid)
        if h is None:
            out.append(f"question {qid!r} was removed")
            continue
        if h.type != q.type:
            out.append(f"question {qid!r} changed type from {q.type} to {h.type}")
            continue
        if h.required and not q.required:
            out.append(f"question {qid!r} became required")
        if q.type == "integer":
            (lo, hi), (hlo, hhi) = _range(q), _range(h)
            if hlo > lo or hhi < hi:
                out.append(f"the range of {qid!r} narrowed from {lo}..{hi} to {hlo}..{hhi}")
        gone = [c.code for c in q.choices or () if c.code not in {x.code for x in h.choices or ()}]
        if gone:
            out.append(f"choice(s) {', '.join(gone)} of {qid!r} were removed")
    for qid, h in hq.items():
        if qid not in bq and h.required:
            out.append(f"a new required question {qid!r} was added")
    return out


def _range(q: Any) -> tuple[int, int]:
    return (q.minimum if q.minimum is not None else -(2**31), q.maximum if q.maximum is not None else 2**31)


def behaviour_changes(base: Guidance, head: Guidance) -> tuple[list[BehaviourChange], str]:
    """Every aspect whose result differs for some answer set valid on both sides, with an example.

    Both decision models are encoded over one question encoding
    (``smt.Model(head, base)``): the answers valid on both sides, every
    threshold of either.  Answers to a question only one side asks are free,
    so a difference they cause shows up too.
    """
    reason = _incompatible(base, head)
    if reason is not None:
        return [], f"behaviour not compared: {reason} (a breaking change of the question set)"
    from .smt import Model

    m = Model(head, base)
    z3 = m.z3
    m.side(base, "base")
    hd, bd = head.decisions, base.decisions

    def lit(side: str, name: str) -> Any:
        return m.atom(f"def:{name}" if side == "head" else f"base:def:{name}")

    def given(side: str, item: str) -> Any:
        dm = hd if side == "head" else bd
        if item not in {*dm.red_flags, *dm.thermal, *dm.relief, *dm.prevention}:
            return z3.BoolVal(False)
        return lit(side, dm.selected(item))

    changes: list[BehaviourChange] = []

    def report(formula: Any, aspect: str, text: str, safety: bool, show: Callable[[Any], str]) -> None:
        model = m.witness(m.full, formula)
        if model is None:
            return
        answers = m.answers(model)
        before, after = _outcome(base, answers), _outcome(head, answers)
        changes.append(BehaviourChange(aspect, text, safety, answers, show(before), show(after)))

    levels = range(1, len(URGENCIES))
    pairs = [(lit("base", bd.urgency_at_least(k)), lit("head", hd.urgency_at_least(k))) for k in levels]
    lower = z3.Or(*[z3.And(b, z3.Not(h)) for b, h in pairs])
    higher = z3.Or(*[z3.And(h, z3.Not(b)) for b, h in pairs])
    report(lower, "urgency", "some answer sets now get a lower urgency", True, lambda a: a.urgency)
    report(higher, "urgency", "some answer sets now get a higher urgency", False, lambda a: a.urgency)

    def advice(side: str, kind: str) -> Any:
        g = head if side == "head" else base
        dm = hd if side == "head" else bd
        rules = [lit(side, dm.decides(r.id)) for r in g.thermal_rules if r.advice == kind]
        return z3.Or(z3.BoolVal(False), *rules)

    def thermal(a: Any) -> str:
        return f"{a.thermal.advice} ({a.thermal.rule})"

    for kind in ("heat", "ice"):
        report(
            z3.And(advice("head", kind), z3.Not(advice("base", kind))),
            "thermal",
            f"{kind} is now advised where it was not",
            True,
            thermal,
        )
    changed = z3.Or(*[advice("head", k) != advice("base", k) for k in ("ice", "heat", "none")])
    if not any(c.aspect == "thermal" for c in changes):
        report(changed, "thermal", "the ice or heat advice changes", False, thermal)

    for kind, ids in (
        ("red flag", sorted({*bd.red_flags, *hd.red_flags})),
        ("relief step", sorted({*bd.relief, *hd.relief})),
        ("prevention step", sorted({*bd.prevention, *hd.prevention})),
    ):
        for item in ids:
            old, new = given("base", item), given("head", item)
            shown = _shown(item, ("fires", "does not fire") if kind == "red flag" else ("given", "not given"))
            safety = kind == "red flag"
            verb = "fires" if safety else "is given"
            aspect = f"{kind.replace(' ', '_')}:{item}"
            fewer = f"{kind} {item!r} no longer {verb} for some answer sets"
            report(z3.And(old, z3.Not(new)), aspect, fewer, safety, shown)
            more = f"{kind} {item!r} now {verb} for more answer sets"
            report(z3.And(new, z3.Not(old)), aspect, more, False, shown)
    return changes, "computed exactly over every answer set valid on both sides (SMT, z3)"


def _shown(item: str, words: tuple[str, str]) -> Callable[[Any], str]:
    def show(a: Any) -> str:
        given = {r.id for r in a.red_flags} | {s.id for s in (*a.relief, *a.prevention)}
        return words[0] if item in given else words[1]

    return show


def _outcome(g: Guidance, answers: Mapping[str, object]) -> Any:
    """``g.assess`` on the part of ``answers`` its questions ask (an optional one left out means no)."""
    known = {q.id for q in g.questions}
    return g.assess({k: v for k, v in answers.items() if k in known})


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _version(text: str) -> tuple[int, int, int]:
    m = _SEMVER.match(text)
    if m is None:
        return (0, 0, 0)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)))


def version_problems(
    base: Guidance, head: Guidance, behaviour: list[BehaviourChange], breaking: list[str]
) -> list[str]:
    problems = []
    vb, vh = _version(base.version), _version(head.version)
    if breaking and vh[0] == vb[0]:
        problems.append(
            f"answer sets stored for {base.version} no longer work ({'; '.join(breaking)}): "
            f"that needs a new major version (e.g. {vb[0] + 1}.0.0), not {head.version}"
        )
    content_changed = _content_without_version(base) != _content_without_version(head)
    if content_changed and vh == vb:
        problems.append(f"the content changed but the version is still {head.version}: raise it")
    if vh < vb:
        problems.append(f"the version went down from {base.version} to {head.version}")
    if behaviour and vh[:2] == vb[:2]:
        problems.append(
            f"the change alters what patients are told ({len(behaviour)} behaviour change(s)): "
            f"it needs at least a minor version (e.g. {vb[0]}.{vb[1] + 1}.0), not {head.version}"
        )
    if vh != vb and head.version not in [e.version for e in head.metadata.change_log]:
        problems.append(f"version {head.version} has no change-log entry")
    return problems


def diff(base: Guidance, head: Guidance) -> Diff:
    items = item_changes(base, head)
    behaviour, note = behaviour_changes(base, head)
    breaking = breaking_changes(base, head)
    return Diff(
        base={"id": base.id, "version": base.version, "digest": base.digest},
        head={"id": head.id, "version": head.version, "digest": head.digest},
        items=items,
        behaviour=behaviour,
        behaviour_note=note,
        breaking=breaking,
        problems=version_problems(base, head, behaviour, breaking),
    )
