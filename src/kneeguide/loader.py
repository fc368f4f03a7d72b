"""Load a guidance folder: YAML with positions, JSON Schema, pydantic, then meaning.

Each stage collects every problem it finds and the next stage runs on what
passed, so one run of ``kneeguide validate`` shows an author every mistake,
each at its file, line and column.  The stages, in order:

1. read each file safely (``yamlsource``);
2. JSON Schema (the same schemas editors use, generated from ``models``);
3. pydantic, giving typed objects;
4. semantic checks that no schema can express: unique ids, references that
   resolve, conditions that fit the question set, sources cited and used,
   review dates, reading grade, and claims the sources do not support.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import conditions as cond
from . import textcheck
from .compact import canonical_json, content_digest
from .decision_checks import check_decisions
from .diagnostics import Diagnostic, format_path
from .errors import ContentError
from .guidance import Guidance, spec_of
from .models import (
    FILES,
    ITEM_LISTS,
    SCHEMA_NAMES,
    ConflictsFile,
    GuidelineFile,
    HazardsFile,
    InvariantsFile,
    QuestionsFile,
    RedFlagsFile,
    SourcesFile,
    StepsFile,
    ThermalFile,
)
from .readability import Grade, grade
from .resources import schemas_dir
from .review import resolve_today
from .store import find_guidelines, load
from .yamlsource import SourceError, YamlDocument, read_yaml

__all__ = [
    "ContentError",
    "LoadResult",
    "canonical_json",
    "check",
    "find_guidelines",
    "load",
]

REVIEW_WARNING_DAYS = 30
"""How deep a condition may nest once every ``red_flag(...)`` is replaced.

One condition is limited by the parser; a chain of references is not, and a
tree nested hundreds of levels deep would pass validation and then break
every backend (Python refuses more than 200 nested parentheses).  Each
reference counts as a level, so a long chain of plain references is refused
too, before it exhausts the recursion of the resolver.
"""
_M = TypeVar("_M", bound=BaseModel)
_SCHEMA_POINTER = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")


@dataclass
class LoadResult:
    """The outcome of checking one guidance folder."""

    folder: Path
    guidance: Guidance | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reading: Grade | None = None
    """The reading grade of the patient text, when the content got that far."""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.guidance is not None and not self.errors


def check(
    folder: str | Path,
    *,
    today: dt.date | None = None,
    review_warning_days: int = REVIEW_WARNING_DAYS,
    review_dates: bool = True,
) -> LoadResult:
    """Check one guideline folder and build its ``Guidance`` when it is valid.

    ``review_dates=False`` skips the checks against today's date, for using
    content (``load``) and for reading an older revision whose review was due
    long ago (``kneeguide diff``).  ``today`` defaults to ``KNEEGUIDE_TODAY``,
    else the UTC date.
    """
    checker = _Checker(Path(folder), resolve_today(today), review_warning_days)
    checker.review_dates = review_dates
    return checker.run()


@cache
def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / name).read_text("utf-8"))
    return data


class _Checker:
    def __init__(self, folder: Path, today: dt.date, warning_days: int) -> None:
        self.folder = folder
        self.today = today
        self.warning_days = warning_days
        self.review_dates = True
        self.reading: Grade | None = None
        self.diagnostics: list[Diagnostic] = []
        self.docs: dict[str, YamlDocument] = {}
        self.models: dict[str, BaseModel] = {}

    # -- reporting ---------------------------------------------------------------

    def display(self, name: str) -> str:
        return str(self.folder / name)

    def error(
        self,
        name: str,
        path: Sequence[str | int],
        message: str,
        *,
        key: bool = False,
        offset: int | None = None,
        severity: str = "error",
        code: str = "content",
    ) -> None:
        if len(message) > _MAX_MESSAGE:  # a last guard: no message quotes a huge value whole
            message = message[:_MAX_MESSAGE] + f"... ({len(message)} characters)"
        doc = self.docs.get(name)
        line, col = (0, 0)
        if doc is not None:
            line, col = doc.position(tuple(path), key=key)
            if offset is not None and tuple(path) in doc.inline_strings:
                col += doc.inline_strings[tuple(path)] + offset
        self.diagnostics.append(
            Diagnostic(
                self.display(name),
                line,
                col,
                format_path(path),
                message,
                "warning" if severity == "warning" else "error",
                code,
            )
        )

    # -- stages --------------------------------------------------------------------

    def run(self) -> LoadResult:
        if not self.folder.is_dir():
            self.diagnostics.append(
                Diagnostic(str(self.folder), 0, 0, "", "is not a folder of guidance files", code="io")
            )
            return LoadResult(self.folder, None, self.diagnostics)
        self.read_files()
        for name, doc in self.docs.items():
            for problem in textcheck.problems(doc.data):
                self.error(name, problem.path, problem.message, offset=problem.offset, code="character")
            if self.schema_check(name, doc):
                self.model_check(name, doc)
        guidance = None
        if len(self.models) == len(FILES):
            guidance = self.semantic_check()
        self.diagnostics.sort(key=lambda d: (d.file, d.line, d.column, d.message))
        ok = guidance is not None and not any(d.severity == "error" for d in self.diagnostics)
        return LoadResult(self.folder, guidance if ok else None, self.diagnostics, self.reading)

    def read_files(self) -> None:
        try:
            present = {p.name for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml")}
        except OSError as exc:
            self.diagnostics.append(
                Diagnostic(str(self.folder), 0, 0, "", f"cannot list the folder: {exc.strerror}", code="io")
            )
            return
        for extra in sorted(present - FILES.keys()):
            self.error(extra, (), f"unknown guidance file; expected: {', '.join(FILES)}")
        for name in FILES:
            path = self.folder / name
            if name not in present:
                self.error(name, (), "this guidance file is missing")
                continue
            outside = self.outside_link(path)
            if outside:
                self.diagnostics.append(Diagnostic(self.display(name), 0, 0, "", outside, code="yaml"))
                continue
            try:
                doc = read_yaml(path)
            except SourceError as exc:
                self.diagnostics.append(
                    Diagnostic(self.display(name), exc.line, exc.column, "", exc.message, code="yaml")
                )
                continue
            self.docs[name] = doc
            self.pointer_check(name, doc)

    def outside_link(self, path: Path) -> str | None:
        """Why ``path`` must not be read: a symbolic link leading out of the folder.

        Content comes from pull requests, and a link to a file elsewhere on
        the CI machine would have its text quoted back in diagnostics.  A link
        inside the folder is fine; a loop is left to the reader, which reports it.
        """
        if not path.is_symlink():
            return None
        target = os.path.realpath(path)
        if os.path.islink(target):  # realpath gives up inside a loop
            return None
        folder = os.path.realpath(self.folder)
        if os.path.commonpath([folder, target]) == folder:
            return None
        return f"is a symbolic link to {target}, outside the guidance folder"

    def pointer_check(self, name: str, doc: YamlDocument) -> None:
        expected = SCHEMA_NAMES[name]
        m = _SCHEMA_POINTER.match(doc.first_line)
        if m is None:
            self.diagnostics.append(
                Diagnostic(
                    self.display(name),
                    1,
                    1,
                    "",
                    "first line should point editors at the schema: "
                    f"# yaml-language-server: $schema=../../schemas/{expected}",
                    code="schema-pointer",
                )
            )
        elif Path(m.group(1)).name != expected:
            self.diagnostics.append(
                Diagnostic(
                    self.display(name),
                    1,
                    1,
                    "",
                    f"points at schema {Path(m.group(1)).name!r}, expected {expected!r}",
                    code="schema-pointer",
                )
            )

    def schema_check(self, name: str, doc: YamlDocument) -> bool:
        from jsonschema import Draft202012Validator

        schema = _schema(SCHEMA_NAMES[name])
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
        for err in errors:
            path = tuple(err.absolute_path)
            if err.validator == "additionalProperties" and isinstance(err.instance, dict):
                allowed = set(err.schema.get("properties", {}))
                for extra in sorted(set(err.instance) - allowed):
                    known = ", ".join(sorted(allowed))
                    self.error(
                        name, (*path, extra), f"unexpected field {extra!r} (allowed: {known})", key=True
                    )
            elif err.validator == "required" and isinstance(err.instance, dict):
                missing = [r for r in err.validator_value if r not in err.instance]
                for r in missing:
                    self.error(name, path, f"missing required field {r!r}")
            elif err.validator in ("anyOf", "oneOf"):
                from jsonschema.exceptions import best_match

                # An optional field is "X or null"; "is not of type 'null'" helps nobody,
                # so the other branch's error (with its own, deeper position) is shown.
                useful = [e for e in err.context or [] if e.schema.get("type") != "null"]
                best = best_match(useful or err.context or [])
                if best is None:
                    self.error(name, path, _friendly(err.validator, err.message, err.instance))
                else:
                    where = tuple(best.absolute_path)
                    self.error(name, where, _friendly(best.validator, best.message, best.instance))
            else:
                self.error(name, path, _friendly(err.validator, err.message, err.instance))
        return not errors

    def model_check(self, name: str, doc: YamlDocument) -> None:
        model = FILES[name]
        try:
            self.models[name] = model.model_validate(doc.data)
        except ValidationError as exc:
            for e in exc.errors():
                self.error(name, tuple(e["loc"]), e["msg"])

    # -- meaning -------------------------------------------------------------------

    def semantic_check(self) -> Guidance | None:
        meta = self.model(GuidelineFile, "guideline.yaml").guideline
        questions = self.model(QuestionsFile, "questions.yaml").questions
        red_flags = self.model(RedFlagsFile, "red_flags.yaml").red_flags
        thermal = self.model(ThermalFile, "thermal.yaml")
        relief = self.model(StepsFile, "relief.yaml").steps
        prevention = self.model(StepsFile, "prevention.yaml").steps
        sources = self.model(SourcesFile, "sources.yaml").sources
        invariants = self.model(InvariantsFile, "invariants.yaml").invariants
        hazards = self.model(HazardsFile, "hazards.yaml").hazards
        conflicts = self.model(ConflictsFile, "conflicts.yaml").conflicts
        ask_order = self.model(QuestionsFile, "questions.yaml").ask_order

        self.check_unique_ids()
        self.check_questions()
        for i, rf in enumerate(red_flags):
            if rf.urgency == "self_care":
                self.error(
                    "red_flags.yaml",
                    ("red_flags", i, "urgency"),
                    "a red flag cannot have urgency self_care: it is a warning sign, so it needs "
                    "soon, urgent or emergency (or it is relief advice, not a red flag)",
                )
        specs = {q.id: spec_of(q) for q in questions}
        optional = {q.id for q in questions if not q.required}

        # Parse every condition; keep what parses for reference resolution.
        located: dict[str, tuple[str, tuple[str | int, ...], str]] = {}
        for i, rf in enumerate(red_flags):
            located[rf.id] = ("red_flags.yaml", ("red_flags", i, "condition"), rf.condition)
        for i, tr in enumerate(thermal.rules):
            located[tr.id] = ("thermal.yaml", ("rules", i, "condition"), tr.condition)
        for fname, steps in (("relief.yaml", relief), ("prevention.yaml", prevention)):
            for i, st in enumerate(steps):
                located[st.id] = (fname, ("steps", i, "condition"), st.condition)
        for i, inv in enumerate(invariants):
            located[inv.id] = ("invariants.yaml", ("invariants", i, "when"), inv.when)

        flag_ids = frozenset(rf.id for rf in red_flags)
        parsed: dict[str, cond.Condition] = {}
        for item_id, (fname, path, text) in located.items():
            try:
                tree = cond.parse(text)
            except cond.ConditionError as exc:
                self.error(fname, path, f"condition: {exc.message}", offset=exc.column)
                continue
            for problem in cond.typecheck(tree, specs, flag_ids):
                self.error(fname, path, f"condition: {problem.message}", offset=problem.column)
            if fname != "relief.yaml" and fname != "prevention.yaml":
                for q in sorted(cond.questions_used(tree) & optional):
                    self.error(
                        fname,
                        path,
                        f"condition: optional question {q!r} may only tailor relief and "
                        "prevention steps; safety decisions must rest on required answers",
                    )
            parsed[item_id] = tree

        resolved = self.resolve_references(parsed, located)
        check_decisions(
            self,
            questions=questions,
            ask_order=ask_order,
            red_flags=red_flags,
            thermal=thermal.rules,
            steps={"relief.yaml": relief, "prevention.yaml": prevention},
            conflicts=conflicts,
            hazards=hazards,
            invariants=invariants,
            conditions=parsed,
        )
        self.check_thermal(thermal)
        self.check_sources()
        self.check_references()
        self.check_dates(meta)
        self.check_reading(meta)
        self.check_claims()

        if any(d.severity == "error" for d in self.diagnostics):
            return None
        data = {name: doc.data for name, doc in self.docs.items()}
        digest = content_digest(data)
        return Guidance(
            folder=self.folder,
            metadata=meta,
            questions=tuple(questions),
            red_flags=tuple(red_flags),
            hit_policy=thermal.hit_policy,
            thermal_rules=tuple(thermal.rules),
            relief=tuple(relief),
            prevention=tuple(prevention),
            sources={s.id: s for s in sources},
            invariants=tuple(invariants),
            hazards=tuple(hazards),
            conflicts=tuple(conflicts),
            ask_order=tuple(ask_order),
            conditions=resolved,
            source_conditions=parsed,
            data=data,
            digest=digest,
        )

    def model(self, kind: type[_M], name: str) -> _M:
        model = self.models[name]
        assert isinstance(model, kind)
        return model

    def items(self) -> Iterable[tuple[str, tuple[str | int, ...], Mapping[str, Any]]]:
        """Every id-carrying item in the raw data: (file, path, item)."""
        for fname, key in ITEM_LISTS.items():
            for i, item in enumerate(self.docs[fname].data[key]):
                yield fname, (key, i), item

    def check_unique_ids(self) -> None:
        seen: dict[tuple[str, str], tuple[str, tuple[str | int, ...]]] = {}
        for fname, path, item in self.items():
            space = fname if fname in ("questions.yaml", "sources.yaml") else "rules"
            key = (space, item["id"])
            if key in seen:
                other, opath = seen[key]
                line = self.docs[other].position((*opath, "id"))[0]
                self.error(
                    fname,
                    (*path, "id"),
                    f"duplicate id {item['id']!r} (first used in {other} line {line})",
                )
            else:
                seen[key] = (fname, path)

    def check_questions(self) -> None:
        for i, q in enumerate(self.model(QuestionsFile, "questions.yaml").questions):
            path: tuple[str | int, ...] = ("questions", i)
            need: dict[str, tuple[str, ...]] = {
                "boolean": ("when_yes", "when_no"),
                "integer": ("minimum", "maximum", "subject"),
                "choice": ("choices", "subject"),
            }
            banned: dict[str, tuple[str, ...]] = {
                "boolean": ("minimum", "maximum", "choices", "unit", "subject"),
                "integer": ("choices", "when_yes", "when_no"),
                "choice": ("minimum", "maximum", "unit", "when_yes", "when_no"),
            }
            for f in need[q.type]:
                if getattr(q, f) is None:
                    self.error("questions.yaml", path, f"a {q.type} question needs {f!r}")
            for f in banned[q.type]:
                if getattr(q, f) is not None:
                    self.error(
                        "questions.yaml", (*path, f), f"a {q.type} question cannot have {f!r}", key=True
                    )
            if q.minimum is not None and q.maximum is not None and q.minimum > q.maximum:
                self.error("questions.yaml", (*path, "minimum"), "minimum is larger than maximum")
            if q.choices:
                codes = [c.code for c in q.choices]
                for j, c in enumerate(codes):
                    if c in codes[:j]:
                        self.error("questions.yaml", (*path, "choices", j, "code"), f"duplicate choice {c!r}")
            if not q.required and q.type != "boolean":
                self.error(
                    "questions.yaml",
                    (*path, "required"),
                    "only yes/no questions may be optional (an unanswered one counts as no)",
                )

    def resolve_references(
        self,
        parsed: Mapping[str, cond.Condition],
        located: Mapping[str, tuple[str, tuple[str | int, ...], str]],
    ) -> dict[str, cond.Condition]:
        done: dict[str, tuple[cond.Condition, int]] = {}
        too_deep_at: dict[str, int] = {}  # too deep from this offset on: fail fast, stay linear
        active: list[str] = []

        def lookup(name: str, at: int) -> cond.Condition:
            if at >= too_deep_at.get(name, cond.MAX_RESOLVED_DEPTH + 1):
                raise cond.NestingError
            if name not in done:
                if name in active or name not in parsed:
                    raise cond.ConditionError(f"red flag {name!r} refers back to itself")
                active.append(name)
                try:
                    tree = cond.resolve(parsed[name], lookup, at)
                except cond.NestingError:
                    too_deep_at[name] = min(at, too_deep_at.get(name, at))
                    raise
                finally:
                    active.pop()
                done[name] = (tree, _tree_depth(tree))
            tree, depth = done[name]
            if at + depth > cond.MAX_RESOLVED_DEPTH:
                too_deep_at[name] = min(at, too_deep_at.get(name, at))
                raise cond.NestingError
            return tree

        for item_id in parsed:
            try:
                lookup(item_id, 0)
            except cond.ConditionError as exc:
                fname, path, _ = located[item_id]
                self.error(fname, path, f"condition: {exc.message}")
        return {name: tree for name, (tree, _) in done.items()}

    def check_thermal(self, thermal: ThermalFile) -> None:
        by_priority: dict[int, str] = {}
        for i, rule in enumerate(thermal.rules):
            if rule.priority in by_priority:
                self.error(
                    "thermal.yaml",
                    ("rules", i, "priority"),
                    f"priority {rule.priority} is already used by {by_priority[rule.priority]!r}; "
                    "with the priority hit policy every rule needs its own",
                )
            by_priority.setdefault(rule.priority, rule.id)

    def check_sources(self) -> None:
        known = {s["id"] for s in self.docs["sources.yaml"].data["sources"]}
        used: set[str] = set()
        for fname, doc in self.docs.items():
            if fname == "sources.yaml":
                continue
            for path, ids in _find_key(doc.data, "sources", ()):
                for j, sid in enumerate(ids if isinstance(ids, list) else []):
                    used.add(sid)
                    if sid not in known:
                        self.error(fname, (*path, j), f"cites unknown source {sid!r}")
        for i, s in enumerate(self.docs["sources.yaml"].data["sources"]):
            if s["id"] not in used:
                self.error("sources.yaml", ("sources", i, "id"), f"source {s['id']!r} is never cited")

    def check_references(self) -> None:
        flags = {r["id"] for r in self.docs["red_flags.yaml"].data["red_flags"]}
        every = {item["id"] for f, _, item in self.items() if f not in ("questions.yaml", "sources.yaml")}
        for i, inv in enumerate(self.docs["invariants.yaml"].data["invariants"]):
            then = inv["then"]
            if not any(then.get(k) for k in then):
                self.error("invariants.yaml", ("invariants", i, "then"), "states no expectation")
            for j, rf in enumerate(then.get("red_flags_include") or []):
                if rf not in flags:
                    self.error(
                        "invariants.yaml",
                        ("invariants", i, "then", "red_flags_include", j),
                        f"unknown red flag {rf!r}",
                    )
        for i, hz in enumerate(self.docs["hazards.yaml"].data["hazards"]):
            for j, ref in enumerate(hz["controlled_by"]):
                if ref not in every:
                    self.error(
                        "hazards.yaml",
                        ("hazards", i, "controlled_by", j),
                        f"unknown control {ref!r} (not a red flag, rule, step or invariant id)",
                    )

    def check_dates(self, meta: Any) -> None:
        f = "guideline.yaml"
        base = ("guideline",)
        due = meta.next_review_due
        if self.review_dates and due < self.today:
            self.error(
                f,
                (*base, "next_review_due"),
                f"the review was due on {due}; review the content and set a new date",
            )
        elif self.review_dates and (due - self.today).days <= self.warning_days:
            self.error(
                f,
                (*base, "next_review_due"),
                f"the next review is due on {due}, within {self.warning_days} days",
                severity="warning",
            )
        if self.review_dates and meta.last_review_date > self.today:
            self.error(f, (*base, "last_review_date"), "the last review date is in the future")
        if meta.approval_date > meta.last_review_date:
            self.error(f, (*base, "approval_date"), "approval comes after the last review")
        if due <= meta.last_review_date:
            self.error(f, (*base, "next_review_due"), "the next review must come after the last one")
        versions = [e.version for e in meta.change_log]
        if meta.version not in versions:
            self.error(f, (*base, "change_log"), f"no change-log entry for version {meta.version}")

    def check_reading(self, meta: Any) -> None:
        texts = list(patient_texts(self.docs))
        g = grade(t for _, _, t in texts)
        self.reading = g
        if g.smog > meta.reading_grade_max:
            worst = sorted(texts, key=lambda t: -grade([t[2]]).smog)[:3]
            hint = "; ".join(f"{f} {format_path(p)}" for f, p, _ in worst)
            self.error(
                "guideline.yaml",
                ("guideline", "reading_grade_max"),
                f"patient text reads at SMOG grade {g.smog} (Flesch-Kincaid {g.flesch_kincaid}), "
                f"above the limit of {meta.reading_grade_max}; hardest: {hint}",
                code="reading-grade",
            )

    def check_claims(self) -> None:
        from .claims import BANNED_CLAIMS

        for fname, path, text in patient_texts(self.docs):
            for claim in BANNED_CLAIMS:
                m = claim.find(text)
                if m:
                    self.error(
                        fname, path, f"{claim.message} (found {m.group()!r})", offset=m.start(), code="claim"
                    )


_MAX_QUOTED = 100
_MAX_MESSAGE = 1000


def _tree_depth(node: cond.Condition) -> int:
    """The nesting depth of a condition tree (a leaf is 0), without recursion."""
    deepest = 0
    stack: list[tuple[cond.Condition, int]] = [(node, 0)]
    while stack:
        n, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(n, cond.Not):
            stack.append((n.operand, depth + 1))
        elif isinstance(n, cond.And | cond.Or):
            stack.extend((c, depth + 1) for c in n.operands)
    return deepest


def _friendly(validator: Any, message: str, instance: Any = None) -> str:
    # jsonschema quotes the whole value ("'...' is too long"); a huge one would flood the report.
    quoted = repr(instance)
    if len(quoted) > _MAX_QUOTED:
        message = message.replace(quoted, f"{quoted[: _MAX_QUOTED - 20]}... ({len(quoted)} characters)")
    if validator == "pattern":
        return message.replace("does not match", "is not in the expected form")
    return message


def _find_key(
    data: Any, key: str, path: tuple[str | int, ...]
) -> Iterable[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield (*path, k), v
            else:
                yield from _find_key(v, key, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _find_key(v, key, (*path, i))


_PATIENT_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "questions.yaml": ("questions", ("text", "help")),
    "red_flags.yaml": ("red_flags", ("title", "advice")),
    "thermal.yaml": ("rules", ("title", "instructions")),
    "relief.yaml": ("steps", ("title", "text")),
    "prevention.yaml": ("steps", ("title", "text")),
}


def patient_texts(docs: Mapping[str, YamlDocument]) -> Iterable[tuple[str, tuple[str | int, ...], str]]:
    """Every piece of text a patient reads: (file, path, text)."""
    for fname, (key, fields) in _PATIENT_FIELDS.items():
        for i, item in enumerate(docs[fname].data[key]):
            for f in fields:
                if isinstance(item.get(f), str):
                    yield fname, (key, i, f), item[f]
            for j, c in enumerate(item.get("cautions") or []):
                yield fname, (key, i, "cautions", j, "text"), c["text"]
            for j, h in enumerate(item.get("how_to") or []):
                yield fname, (key, i, "how_to", j), h
    meta = docs["guideline.yaml"].data["guideline"]
    yield "guideline.yaml", ("guideline", "disclaimer"), meta["disclaimer"]
