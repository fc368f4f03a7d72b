"""Typed models of the guidance files.

These pydantic models are the single description of the content's shape: the
JSON Schemas in ``schemas/`` are generated from them (``kneeguide schemas``),
and the loader turns validated YAML into these objects.  Conditions stay text
here; the loader parses them into trees once the question set is known.

The content models are gathered here from ``model_types`` (ids, texts,
urgencies), ``question_models`` (questions.yaml) and ``item_models`` (red
flags, rules, steps and the rest); this module adds the guideline metadata
and one model per file.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from .figures import FiguresFile
from .item_models import (
    Caution,
    Conflict,
    Hazard,
    Invariant,
    RedFlag,
    Source,
    Step,
    ThermalRule,
)
from .model_types import URGENCIES, ContentModel, GuidelineId, SemVer, Text
from .question_models import (
    QUESTION_TYPES,
    BooleanQuestion,
    Choice,
    ChoiceQuestion,
    IntegerQuestion,
    Question,
    QuestionsFile,
)

__all__ = [
    "FILES",
    "ITEM_LISTS",
    "OPTIONAL_FILES",
    "QUESTION_TYPES",
    "URGENCIES",
    "BooleanQuestion",
    "Caution",
    "ChangeLogEntry",
    "Choice",
    "ChoiceQuestion",
    "Conflict",
    "ConflictsFile",
    "GuidelineFile",
    "Hazard",
    "HazardsFile",
    "IntegerQuestion",
    "Invariant",
    "InvariantsFile",
    "Metadata",
    "Question",
    "QuestionsFile",
    "RedFlag",
    "RedFlagsFile",
    "Source",
    "SourcesFile",
    "Step",
    "StepsFile",
    "ThermalFile",
    "ThermalRule",
]

# --- guideline.yaml ---------------------------------------------------------------


class Person(ContentModel):
    name: Text
    role: Text


class Reviewer(Person):
    date: dt.date


class Contact(ContentModel):
    name: Text
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://")] | None = None


class ChangeLogEntry(ContentModel):
    version: SemVer
    date: dt.date
    summary: Text
    reviewed_by: list[Text] = Field(min_length=1)


class Metadata(ContentModel):
    id: GuidelineId
    title: Text
    version: SemVer
    status: Literal["draft", "active", "retired"]
    experimental: bool
    url: Annotated[str, StringConstraints(pattern=r"^https://")] = Field(
        description="Canonical base URL; exports build their canonicals from it."
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
    jurisdiction: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        min_length=1, description="ISO 3166-1 alpha-2 country codes."
    )
    publisher: Text
    contact: list[Contact] = Field(min_length=1)
    description: Text
    purpose: Text
    intended_use: Text
    disclaimer: Text
    copyright: Text
    topics: list[Text] = Field(min_length=1)
    authors: list[Person] = Field(min_length=1)
    reviewers: list[Reviewer] = Field(min_length=1)
    approval_date: dt.date
    last_review_date: dt.date
    next_review_due: dt.date
    reading_grade_max: float = Field(
        default=8.0, description="Highest SMOG grade allowed for the patient text."
    )
    change_log: list[ChangeLogEntry] = Field(min_length=1)


class GuidelineFile(ContentModel):
    guideline: Metadata


# --- the files that list items -------------------------------------------------------


class RedFlagsFile(ContentModel):
    red_flags: list[RedFlag] = Field(min_length=1)


class ThermalFile(ContentModel):
    hit_policy: Literal["priority"] = Field(
        description="'priority': of the rules whose condition holds, the one with "
        "the highest priority decides. Priorities must be unique."
    )
    rules: list[ThermalRule] = Field(min_length=1)


class StepsFile(ContentModel):
    steps: list[Step] = Field(min_length=1)


class SourcesFile(ContentModel):
    sources: list[Source] = Field(min_length=1)


class InvariantsFile(ContentModel):
    invariants: list[Invariant] = Field(min_length=1)


class HazardsFile(ContentModel):
    hazards: list[Hazard] = Field(min_length=1)


class ConflictsFile(ContentModel):
    conflicts: list[Conflict] = Field(min_length=1)


FILES: dict[str, type[BaseModel]] = {
    "guideline.yaml": GuidelineFile,
    "questions.yaml": QuestionsFile,
    "red_flags.yaml": RedFlagsFile,
    "thermal.yaml": ThermalFile,
    "relief.yaml": StepsFile,
    "prevention.yaml": StepsFile,
    "sources.yaml": SourcesFile,
    "invariants.yaml": InvariantsFile,
    "hazards.yaml": HazardsFile,
    "conflicts.yaml": ConflictsFile,
    "figures.yaml": FiguresFile,
}
"""Every file of a guidance folder and the model that describes it."""

OPTIONAL_FILES: frozenset[str] = frozenset({"figures.yaml"})
"""Files a guidance folder may leave out: a guide without pictures needs no poses."""

ITEM_LISTS: dict[str, str] = {
    "questions.yaml": "questions",
    "red_flags.yaml": "red_flags",
    "thermal.yaml": "rules",
    "relief.yaml": "steps",
    "prevention.yaml": "steps",
    "sources.yaml": "sources",
    "invariants.yaml": "invariants",
    "hazards.yaml": "hazards",
    "conflicts.yaml": "conflicts",
    "figures.yaml": "poses",
}
"""The files that hold a list of items with ids, and the key of that list."""

SCHEMA_NAMES: dict[str, str] = {
    name: ("steps" if model is StepsFile else name.removesuffix(".yaml")) + ".schema.json"
    for name, model in FILES.items()
}
"""The schema file each guidance file points at."""
