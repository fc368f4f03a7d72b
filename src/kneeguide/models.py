"""Typed models of the guidance files.

These pydantic models are the single description of the content's shape: the
JSON Schemas in ``schemas/`` are generated from them (``kneeguide schemas``),
and the loader turns validated YAML into these objects.  Conditions stay text
here; the loader parses them into trees once the question set is known.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .figures import FigureRef, FiguresFile

__all__ = [
    "FILES",
    "ITEM_LISTS",
    "OPTIONAL_FILES",
    "URGENCIES",
    "Caution",
    "ChangeLogEntry",
    "Choice",
    "Conflict",
    "ConflictsFile",
    "GuidelineFile",
    "Hazard",
    "HazardsFile",
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

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
    Field(description="Stable identifier: lower case letters, digits and '_'."),
]
GuidelineId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=False)]
ConditionText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4000),
    Field(
        description=(
            "A condition over the question ids, e.g. 'visible_swelling and hours_since_onset <= 72'."
        )
    ),
]
SourceIds = Annotated[list[Id], Field(min_length=1, description="Ids from sources.yaml.")]
SemVer = Annotated[str, StringConstraints(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")]
Urgency = Literal["self_care", "soon", "urgent", "emergency"]
SelfCareUrgency = Annotated[
    Literal["self_care", "soon", "urgent"],
    Field(
        description="The highest urgency of the result at which this advice may be shown. "
        "An emergency result shows only what to do now, so no step may go that high."
    ),
]
Advice = Literal["ice", "heat", "none"]

URGENCIES: tuple[Urgency, ...] = ("self_care", "soon", "urgent", "emergency")
"""The urgency scale, lowest first (contracts.md section 2)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- guideline.yaml ---------------------------------------------------------------


class Person(_Model):
    name: Text
    role: Text


class Reviewer(Person):
    date: dt.date


class Contact(_Model):
    name: Text
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://")] | None = None


class ChangeLogEntry(_Model):
    version: SemVer
    date: dt.date
    summary: Text
    reviewed_by: list[Text] = Field(min_length=1)


class Metadata(_Model):
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


class GuidelineFile(_Model):
    guideline: Metadata


# --- questions.yaml ---------------------------------------------------------------


class Choice(_Model):
    code: Id
    label: Text


class Question(_Model):
    id: Id
    type: Literal["boolean", "integer", "choice"]
    text: Text = Field(description="The question as the person reads it.")
    help: Text
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    unit: Text | None = None
    choices: list[Choice] | None = None
    subject: Text | None = Field(
        default=None,
        description="Integer and choice questions: the noun phrase used in "
        "rendered conditions, e.g. 'the pain score'.",
    )
    when_yes: Text | None = Field(
        default=None,
        description="Yes/no questions: the clause used in rendered conditions "
        "when the answer is yes, e.g. 'the knee is swollen'.",
    )
    when_no: Text | None = Field(default=None, description="Yes/no questions: the clause for a no.")
    worsens: Literal["yes", "higher", "none"] | None = Field(
        default=None,
        description="Which answer is the worse finding, so that verify proves urgency never "
        "falls as it worsens: 'yes' (the default for yes/no questions), 'higher' (integer "
        "questions), or 'none' with a 'worsens_note' saying why the answer has no order.",
    )
    worsens_note: Text | None = Field(
        default=None, description="Why a question with worsens: none has no direction of severity."
    )
    typical: int | str | None = Field(
        default=None,
        description="The answer a typical person in the intended use gives (integer and choice "
        "questions), e.g. 40 for an age: examples and counterexamples (verify, diff) use it "
        "instead of the minimum or the first choice, so they stay inside the intended use.",
    )

    @property
    def example_answer(self) -> bool | int | str | None:
        """The plainest in-scope answer: no, ``typical``, else the minimum or the first choice."""
        if self.type == "boolean":
            return False
        if self.typical is not None:
            return self.typical
        if self.type == "integer":
            return self.minimum
        return self.choices[0].code if self.choices else None

    @property
    def direction(self) -> str:
        """The direction of severity, with the default for yes/no questions filled in."""
        if self.worsens is not None:
            return self.worsens
        return "yes" if self.type == "boolean" else "none"


class QuestionsFile(_Model):
    questions: list[Question] = Field(min_length=1)
    ask_order: list[Id] = Field(
        min_length=1,
        description="Every question id once, in the order an interview asks them: the warning signs first.",
    )


# --- red_flags.yaml ---------------------------------------------------------------


class RedFlag(_Model):
    id: Id
    title: Text
    urgency: Urgency
    condition: ConditionText
    advice: Text = Field(description="What the person should do, in plain words.")
    clinician_note: Text
    sources: SourceIds
    out_of_scope: bool = Field(
        default=False,
        description="The person is outside the guide's intended use (a scope exclusion): "
        "when it fires, no self-care step and no ice or heat is shown.",
    )
    care: (
        Literal["emergency_services", "emergency_department", "same_day", "routine", "pharmacist"] | None
    ) = Field(
        default=None,
        description="The kind of care the advice sends the person to; each region says where "
        "that is (regions.yaml), and the advice must name it by placeholder.",
    )


class RedFlagsFile(_Model):
    red_flags: list[RedFlag] = Field(min_length=1)


# --- thermal.yaml ---------------------------------------------------------------


class Caution(_Model):
    text: Text
    sources: SourceIds


class ThermalRule(_Model):
    id: Id
    title: Text
    advice: Advice
    priority: int = Field(ge=0, le=1_000_000, description="Higher wins.")
    condition: ConditionText
    instructions: Text
    cautions: list[Caution] = Field(default_factory=list)
    rationale: Text = Field(description="Why this rule exists, for clinicians.")
    sources: SourceIds
    max_urgency: Urgency = Field(
        description="The highest urgency of the result at which this rule may decide; "
        "only rules advising neither ice nor heat may go up to emergency."
    )
    not_with: list[Id] = Field(
        default_factory=list,
        description="Red flags that withhold this rule whatever the urgency.",
    )
    for_whom: Text | None = Field(
        default=None,
        description="Who this is for, in plain words for patient materials "
        "(needed when the condition is not 'true').",
    )

    @property
    def cited(self) -> list[str]:
        """The rule's sources, then its cautions' sources, each once: what the advice rests on."""
        return list(dict.fromkeys([*self.sources, *(s for c in self.cautions for s in c.sources)]))


class ThermalFile(_Model):
    hit_policy: Literal["priority"] = Field(
        description="'priority': of the rules whose condition holds, the one with "
        "the highest priority decides. Priorities must be unique."
    )
    rules: list[ThermalRule] = Field(min_length=1)


# --- relief.yaml and prevention.yaml ------------------------------------------------


class Step(_Model):
    id: Id
    title: Text
    text: Text
    condition: ConditionText
    how_to: list[Text] = Field(default_factory=list, description="Numbered instructions, in order.")
    evidence: Literal["moderate", "low", "very_low", "expert_opinion"]
    evidence_note: Text | None = None
    sources: SourceIds
    max_urgency: SelfCareUrgency
    not_with: list[Id] = Field(
        default_factory=list,
        description="Red flags that withhold this advice whatever the urgency.",
    )
    for_whom: Text | None = Field(
        default=None,
        description="Who this is for, in plain words for patient materials "
        "(needed when the condition is not 'true').",
    )
    shows: Literal["stretch", "position", "exercise"] | None = Field(
        default=None,
        description="What the step shows the body doing; a step that shows a stretch, a "
        "position or an exercise needs a figure.",
    )
    figure: FigureRef | None = Field(default=None, description="The picture of the step.")


class StepsFile(_Model):
    steps: list[Step] = Field(min_length=1)


# --- sources.yaml ---------------------------------------------------------------


class Source(_Model):
    id: Id
    authors: Text
    title: Text
    publisher: Text
    year: int = Field(ge=1900, le=2100)
    url: Annotated[str, StringConstraints(pattern=r"^https://")]
    note: Text | None = None


class SourcesFile(_Model):
    sources: list[Source] = Field(min_length=1)


# --- invariants.yaml ---------------------------------------------------------------


class Expectation(_Model):
    urgency_at_least: Urgency | None = None
    thermal_in: list[Advice] | None = None
    thermal_not: list[Advice] | None = None
    red_flags_include: list[Id] | None = None


class Invariant(_Model):
    id: Id
    statement: Text
    when: ConditionText
    then: Expectation
    sources: SourceIds


class InvariantsFile(_Model):
    invariants: list[Invariant] = Field(min_length=1)


# --- hazards.yaml ---------------------------------------------------------------


class Hazard(_Model):
    id: Id
    hazard: Text
    cause: Text
    effect: Text
    severity: Literal["minor", "significant", "major", "catastrophic"]
    control: Text
    controlled_by: list[Id] = Field(
        min_length=1, description="Ids of the red flags, rules, steps or invariants."
    )
    verification: Text
    checked_by: list[Id] = Field(
        min_length=1,
        description="What checks the control on every release: invariant or conflict ids, or "
        "verify property names (see docs/verify.md). A hazard nothing checks is an error.",
    )


class HazardsFile(_Model):
    hazards: list[Hazard] = Field(min_length=1)


# --- conflicts.yaml ---------------------------------------------------------------


class Conflict(_Model):
    id: Id
    items: list[Id] = Field(
        min_length=2, description="Red flags, thermal rules or steps that must never be shown together."
    )
    reason: Text
    sources: SourceIds


class ConflictsFile(_Model):
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
