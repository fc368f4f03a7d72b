"""The checker of one guidance folder: where each problem is, and the order of the stages.

Each stage collects every problem it finds and the next stage runs on what
passed, so one run of ``kneeguide validate`` shows an author every mistake,
each at its file, line and column, with a stable code (docs/diagnostics.md).
The stages, in order:

1. read each file safely (``checks.files``, ``yamlsource``);
2. the characters of every text, JSON Schema, then pydantic (``checks.schema``);
3. semantic checks that no schema can express, one module per family:
   ids and references (``checks.content``), conditions (``checks.conditions``),
   how rules combine (``decision_checks``), dates, reading grade and claims
   (``checks.review``).

One mistake is reported once: a later stage skips what an earlier one
already reported, and identical reports are merged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from .. import textcheck
from ..compact import canonical_json, content_digest
from ..diagnostics import Diagnostic, format_path
from ..guidance import Guidance
from ..models import FILES, ITEM_LISTS
from ..readability import Grade
from ..resources import DEFAULT_GUIDELINE, guidance_root
from ..yamlsource import YamlDocument

__all__ = ["Checker", "LoadResult", "canonical_json"]

_M = TypeVar("_M", bound=BaseModel)
_MAX_MESSAGE = 1000


@dataclass
class LoadResult:
    """The outcome of checking one guidance folder."""

    folder: Path
    guidance: Guidance | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reading: Grade | None = None
    """The reading grade of the patient text, when the content got that far."""
    readings: dict[str, str] = field(default_factory=dict)
    """Each shipped locale's reading grade, in words (``localisation.checks``)."""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.guidance is not None and not self.errors


class Checker:
    """Runs every check on one folder and keeps what they report."""

    def __init__(self, folder: Path, today: dt.date, warning_days: int, review_dates: bool = True) -> None:
        self.folder = folder
        self.today = today
        self.warning_days = warning_days
        self.review_dates = review_dates
        self.reading: Grade | None = None
        self.readings: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []
        self.docs: dict[str, YamlDocument] = {}
        self.models: dict[str, BaseModel] = {}
        self.left_out: set[str] = set()
        """Optional files the folder does not have (an optional file that is there must be valid)."""

    # -- reporting ---------------------------------------------------------------

    def display(self, name: str) -> str:
        return str(self.folder / name)

    def error(
        self,
        name: str,
        path: Sequence[str | int],
        message: str,
        *,
        code: str,
        key: bool = False,
        offset: int | None = None,
        severity: str = "error",
    ) -> None:
        """Report a problem at ``path`` in file ``name`` (at character ``offset`` of its text)."""
        if len(message) > _MAX_MESSAGE:  # a last guard: no message quotes a huge value whole
            message = message[:_MAX_MESSAGE] + f"... ({len(message)} characters)"
        doc = self.docs.get(name)
        line, col = (0, 0)
        data = None
        if doc is not None:
            data = doc.data
            line, col = doc.position(tuple(path), key=key)
            if offset is not None:
                line, col = doc.text_position(tuple(path), offset) or (line, col)
        self.diagnostics.append(
            Diagnostic(
                self.display(name),
                line,
                col,
                format_path(path, data),
                message,
                "warning" if severity == "warning" else "error",
                code=code,
            )
        )

    def at_file(self, name: str, message: str, *, code: str, line: int = 0, column: int = 0) -> None:
        """Report a problem with a whole file, or at a place that no data path names."""
        self.diagnostics.append(Diagnostic(self.display(name), line, column, "", message, code=code))

    # -- stages --------------------------------------------------------------------

    def run(self) -> LoadResult:
        from . import files, schema

        if not self.folder.is_dir():
            self.diagnostics.append(
                Diagnostic(str(self.folder), 0, 0, "", "is not a folder of guidance files", code="io")
            )
            return LoadResult(self.folder, None, self.diagnostics)
        files.read_files(self)
        for name, doc in self.docs.items():
            reported: set[tuple[str | int, ...]] = set()
            for problem in textcheck.problems(doc.data):
                reported.add(problem.path)
                self.error(name, problem.path, problem.message, offset=problem.offset, code=problem.code)
            if schema.schema_check(self, name, doc, reported):
                schema.model_check(self, name, doc)
        guidance = None
        if all(name in self.models for name in FILES if name not in self.left_out):
            guidance = self.semantic_check()
        self.diagnostics = sorted(
            dict.fromkeys(self.diagnostics), key=lambda d: (d.file, d.line, d.column, d.message)
        )
        ok = guidance is not None and not any(d.severity == "error" for d in self.diagnostics)
        return LoadResult(
            self.folder, guidance if ok else None, self.diagnostics, self.reading, self.readings
        )

    def semantic_check(self) -> Guidance | None:
        from ..decision_checks import check_decisions
        from ..figures import FiguresFile
        from ..localisation.checks import check_localisation
        from ..models import (
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
        from . import conditions, content, figures, review

        meta = self.model(GuidelineFile, "guideline.yaml").guideline
        qfile = self.model(QuestionsFile, "questions.yaml")
        red_flags = self.model(RedFlagsFile, "red_flags.yaml").red_flags
        thermal = self.model(ThermalFile, "thermal.yaml")
        relief = self.model(StepsFile, "relief.yaml").steps
        prevention = self.model(StepsFile, "prevention.yaml").steps
        sources = self.model(SourcesFile, "sources.yaml").sources
        invariants = self.model(InvariantsFile, "invariants.yaml").invariants
        hazards = self.model(HazardsFile, "hazards.yaml").hazards
        conflicts = self.model(ConflictsFile, "conflicts.yaml").conflicts
        poses = self.model(FiguresFile, "figures.yaml").poses if "figures.yaml" in self.models else []

        content.check_unique_ids(self)
        content.check_questions(self, qfile.questions)
        content.check_red_flags(self, red_flags)
        parsed, resolved = conditions.check_conditions(
            self, qfile.questions, red_flags, thermal.rules, relief, prevention, invariants
        )
        check_decisions(
            self,
            questions=qfile.questions,
            ask_order=qfile.ask_order,
            red_flags=red_flags,
            thermal=thermal.rules,
            steps={"relief.yaml": relief, "prevention.yaml": prevention},
            conflicts=conflicts,
            hazards=hazards,
            invariants=invariants,
            conditions=parsed,
        )
        content.check_thermal(self, thermal)
        content.check_sources(self)
        content.check_references(self)
        figures.check_figures(self, poses, {"relief.yaml": relief, "prevention.yaml": prevention})
        review.check_dates(self, meta)
        review.check_reading(self, meta)
        review.check_claims(self)

        parts: dict[str, Any] = {
            "metadata": meta,
            "questions": tuple(qfile.questions),
            "red_flags": tuple(red_flags),
            "thermal_rules": tuple(thermal.rules),
            "relief": tuple(relief),
            "prevention": tuple(prevention),
            "hazards": tuple(hazards),
            "conflicts": tuple(conflicts),
            "poses": {p.id: p for p in poses},
        }
        localisation, self.readings = check_localisation(
            self, self.folder, self.docs, parts, guidance_root() / DEFAULT_GUIDELINE, self.review_dates
        )
        if any(d.severity == "error" for d in self.diagnostics) or localisation is None:
            return None
        data = {name: doc.data for name, doc in self.docs.items()}
        source = Guidance(
            folder=self.folder,
            hit_policy=thermal.hit_policy,
            sources={s.id: s for s in sources},
            invariants=tuple(invariants),
            ask_order=tuple(qfile.ask_order),
            conditions=resolved,
            source_conditions=parsed,
            data=data,
            digest=content_digest(data),
            localisation=localisation,
            **parts,
        )
        # The content as written holds placeholders; every caller gets its default locale.
        return source.localized(localisation.default_locale)

    # -- helpers for the checks ----------------------------------------------------------

    def model(self, kind: type[_M], name: str) -> _M:
        model = self.models[name]
        assert isinstance(model, kind)
        return model

    def items(self) -> Iterable[tuple[str, tuple[str | int, ...], Mapping[str, Any]]]:
        """Every id-carrying item in the raw data: (file, path, item)."""
        for fname, key in ITEM_LISTS.items():
            if fname not in self.docs:
                continue  # an optional file left out
            for i, item in enumerate(self.docs[fname].data[key]):
                yield fname, (key, i), item
