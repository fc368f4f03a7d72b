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
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or
from .guidance import Guidance
from .loader import ContentError, canonical_json, check
from .models import FILES, ITEM_LISTS, URGENCIES

__all__ = ["Diff", "DiffError", "diff", "open_side"]

DEFAULT_PATH = "guidance/knee-muscle-spasm"
_IGNORED_FOR_CONTENT = {"version", "change_log"}


class DiffError(Exception):
    """A side of the diff cannot be read (exit 2)."""


@dataclass
class ItemChange:
    file: str
    id: str
    change: str  # added, removed, changed
    fields: list[str] = field(default_factory=list)


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
        for item in g.data[fname][key]:
            out[(fname, item["id"])] = item
    return out


def item_changes(base: Guidance, head: Guidance) -> list[ItemChange]:
    changes = []
    a, b = _items(base), _items(head)
    for key in sorted(a.keys() | b.keys()):
        if key not in b:
            changes.append(ItemChange(key[0], key[1], "removed"))
        elif key not in a:
            changes.append(ItemChange(key[0], key[1], "added"))
        elif a[key] != b[key]:
            fields = sorted(f for f in a[key].keys() | b[key].keys() if a[key].get(f) != b[key].get(f))
            changes.append(ItemChange(key[0], key[1], "changed", fields))
    meta_a = base.data["guideline.yaml"]["guideline"]
    meta_b = head.data["guideline.yaml"]["guideline"]
    fields = sorted(f for f in meta_a.keys() | meta_b.keys() if meta_a.get(f) != meta_b.get(f))
    if fields:
        changes.append(ItemChange("guideline.yaml", base.id, "changed", fields))
    if base.data["thermal.yaml"].get("hit_policy") != head.data["thermal.yaml"].get("hit_policy"):
        changes.append(ItemChange("thermal.yaml", "hit_policy", "changed", ["hit_policy"]))
    return changes


def _content_without_version(g: Guidance) -> bytes:
    data = json.loads(canonical_json(g.data))
    for key in _IGNORED_FOR_CONTENT:
        data["guideline.yaml"]["guideline"].pop(key, None)
    return canonical_json(data)


def _compatible(base: Guidance, head: Guidance) -> str | None:
    """Why the two question sets cannot share one encoding, or None."""
    hq = {q.id: q for q in head.questions}
    for q in base.questions:
        h = hq.get(q.id)
        if h is None:
            return f"question {q.id!r} was removed"
        if h.type != q.type:
            return f"question {q.id!r} changed type"
        if h.required != q.required:
            return f"question {q.id!r} changed between required and optional"
        codes = [c.code for c in q.choices or ()]
        if [c.code for c in h.choices or ()][: len(codes)] != codes:
            return f"the choices of {q.id!r} were removed or reordered"
    return None


def behaviour_changes(base: Guidance, head: Guidance) -> tuple[list[BehaviourChange], str]:
    """Every aspect whose result differs for some valid answer set, with an example."""
    reason = _compatible(base, head)
    if reason is not None:
        return [], f"behaviour not compared: {reason} (a breaking change of the question set)"
    enc = _Encoding(head)
    z3 = enc.z3
    base_fire = {item: enc.encode(tree) for item, tree in base.conditions.items()}
    head_fire = {item: enc.encode(tree) for item, tree in head.conditions.items()}
    # Base's questions are a compatible subset of head's: answers to questions
    # only head has are free, so a difference they cause shows up too.

    def urgency(fires: Mapping[str, Any], g: Guidance) -> Any:
        level: Any = z3.IntVal(0)
        for rank in range(1, len(URGENCIES)):
            flags = [fires[rf.id] for rf in g.red_flags if URGENCIES.index(rf.urgency) == rank]
            if flags:
                level = z3.If(z3.Or(*flags), z3.IntVal(rank), level)
        return level

    def advice(fires: Mapping[str, Any], g: Guidance) -> Any:
        codes = {"ice": 0, "heat": 1, "none": 2}
        out: Any = z3.IntVal(-1)
        for rule in reversed(g.thermal_by_priority()):
            out = z3.If(fires[rule.id], z3.IntVal(codes[rule.advice]), out)
        return out

    u_base, u_head = urgency(base_fire, base), urgency(head_fire, head)
    a_base, a_head = advice(base_fire, base), advice(head_fire, head)
    changes: list[BehaviourChange] = []

    def example(formula: Any) -> dict[str, object] | None:
        return enc.example(formula)

    def outcome(g: Guidance, answers: Mapping[str, object]) -> Any:
        known = {q.id for q in g.questions}
        return g.assess({k: v for k, v in answers.items() if k in known})

    lowered = example(u_head < u_base)
    raised = example(u_head > u_base)
    for answers, direction, safety in ((lowered, "lower", True), (raised, "higher", False)):
        if answers is not None:
            before, after = outcome(base, answers), outcome(head, answers)
            changes.append(
                BehaviourChange(
                    "urgency",
                    f"some answer sets now get a {direction} urgency",
                    safety,
                    answers,
                    before.urgency,
                    after.urgency,
                )
            )
    heat_code = z3.IntVal(1)
    new_heat = example(z3.And(a_head == heat_code, a_base != heat_code))
    other = example(z3.And(a_head != a_base, a_head != heat_code))
    for answers, text, safety in (
        (new_heat, "heat is now advised where it was not", True),
        (other, "the ice or heat advice changes", False),
    ):
        if answers is not None:
            before, after = outcome(base, answers), outcome(head, answers)
            changes.append(
                BehaviourChange(
                    "thermal",
                    text,
                    safety,
                    answers,
                    f"{before.thermal.advice} ({before.thermal.rule})",
                    f"{after.thermal.advice} ({after.thermal.rule})",
                )
            )
    flags = sorted({rf.id for rf in base.red_flags} | {rf.id for rf in head.red_flags})
    for fid in flags:
        old = base_fire.get(fid, z3.BoolVal(False))
        new = head_fire.get(fid, z3.BoolVal(False))
        for formula, text, safety in (
            (z3.And(old, z3.Not(new)), f"red flag {fid!r} no longer fires for some answer sets", True),
            (z3.And(new, z3.Not(old)), f"red flag {fid!r} now fires for more answer sets", False),
        ):
            answers = example(formula)
            if answers is not None:
                before, after = outcome(base, answers), outcome(head, answers)
                changes.append(
                    BehaviourChange(
                        f"red_flag:{fid}",
                        text,
                        safety,
                        answers,
                        "fires" if any(r.id == fid for r in before.red_flags) else "does not fire",
                        "fires" if any(r.id == fid for r in after.red_flags) else "does not fire",
                    )
                )
    return changes, "computed exactly over every valid answer set (SMT, z3)"


class _Encoding:
    """Head's question set as z3 variables, and condition trees as formulas over them.

    Kept separate from the verifier's encoding, which abstracts integers to
    the thresholds of one guidance only: a diff compares two rule sets whose
    thresholds differ, so here integers stay integers (exact, and a handful of
    queries is cheap).
    """

    def __init__(self, head: Guidance) -> None:
        import z3  # type: ignore[import-untyped]

        self.z3: Any = z3
        self.head = head
        self.solver: Any = z3.Solver()
        self.var: dict[str, Any] = {}
        self.codes = {q.id: [c.code for c in q.choices or ()] for q in head.questions}
        self.plain: list[Any] = []
        """The plainest answers (no, the lowest value, the first choice), to shrink examples."""
        for q in head.questions:
            if q.type == "boolean":
                v = z3.Bool(q.id)
                self.plain.append(z3.Not(v))
            else:
                v = z3.Int(q.id)
                lo, hi = (0, len(self.codes[q.id]) - 1) if q.type == "choice" else (q.minimum, q.maximum)
                if lo is not None:
                    self.solver.add(v >= lo)
                    self.plain.append(v == lo)
                if hi is not None:
                    self.solver.add(v <= hi)
            self.var[q.id] = v

    def encode(self, node: Condition) -> Any:
        z3 = self.z3
        if isinstance(node, Const):
            return z3.BoolVal(node.value)
        if isinstance(node, Flag):
            return self.var[node.question]
        if isinstance(node, Compare):
            x, c = self.var[node.question], node.value
            ops = {"<": x < c, "<=": x <= c, ">": x > c, ">=": x >= c, "==": x == c, "!=": x != c}
            return ops[node.op]
        if isinstance(node, OneOf):
            x, codes = self.var[node.question], self.codes[node.question]
            return z3.Or(*[x == codes.index(c) for c in node.choices if c in codes], z3.BoolVal(False))
        if isinstance(node, Not):
            return z3.Not(self.encode(node.operand))
        if isinstance(node, And):
            return z3.And(*[self.encode(c) for c in node.operands])
        if isinstance(node, Or):
            return z3.Or(*[self.encode(c) for c in node.operands])
        raise TypeError(f"cannot encode {type(node).__name__}")

    def example(self, formula: Any) -> dict[str, object] | None:
        """A complete answer set satisfying ``formula``, as plain as possible, or None."""
        z3 = self.z3
        s = self.solver
        if s.check(formula) != z3.sat:
            return None
        prefs = list(self.plain)
        while prefs and s.check(formula, *prefs) != z3.sat:
            core = {c.get_id() for c in s.unsat_core()}
            kept = [p for p in prefs if p.get_id() not in core]
            prefs = kept if len(kept) < len(prefs) else prefs[:-1]
        s.check(formula, *prefs)
        model = s.model()
        out: dict[str, object] = {}
        for q in self.head.questions:
            value = model.eval(self.var[q.id], model_completion=True)
            if q.type == "boolean":
                out[q.id] = bool(z3.is_true(value))
            elif q.type == "integer":
                out[q.id] = value.as_long()
            else:
                out[q.id] = self.codes[q.id][value.as_long()]
        return out


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _version(text: str) -> tuple[int, int, int]:
    m = _SEMVER.match(text)
    if m is None:
        return (0, 0, 0)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)))


def version_problems(base: Guidance, head: Guidance, behaviour: list[BehaviourChange]) -> list[str]:
    problems = []
    vb, vh = _version(base.version), _version(head.version)
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
    return Diff(
        base={"id": base.id, "version": base.version, "digest": base.digest},
        head={"id": head.id, "version": head.version, "digest": head.digest},
        items=items,
        behaviour=behaviour,
        behaviour_note=note,
        problems=version_problems(base, head, behaviour),
    )


# --- reporting -----------------------------------------------------------------------------


def _compact(answers: Mapping[str, object]) -> str:
    return json.dumps(answers, separators=(", ", ": "))


def render_text(d: Diff) -> str:
    out = [f"{d.base['id']} {d.base['version']} -> {d.head['version']}"]
    if not d.items and not d.behaviour:
        out.append("no changes")
    if d.items:
        out.append("Items:")
        for c in d.items:
            detail = f" ({', '.join(c.fields)})" if c.fields else ""
            out.append(f"  {c.change:<8} {c.file} {c.id}{detail}")
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
    out = [f"### Guidance diff: `{d.base['id']}` {d.base['version']} → {d.head['version']}", ""]
    if d.safety_relevant:
        out += ["> **Safety-relevant behaviour change: needs clinical sign-off.**", ""]
    for p in d.problems:
        out.append(f"- :x: {p}")
    if d.problems:
        out.append("")
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
    else:
        out.append("No item changes.")
    return "\n".join(out) + "\n"


def render_json(d: Diff) -> str:
    return json.dumps(d.to_json(), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
