"""The models of the items a guide advises with: red flags, thermal rules, steps, sources,
invariants, hazards and conflicts.

Conditions stay text here; the loader parses them into trees once the
question set is known.  The files that list these items are in
``kneeguide.models``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .figures import FigureRef
from .model_types import (
    Advice,
    ConditionText,
    ContentModel,
    Id,
    SelfCareUrgency,
    SourceIds,
    Text,
    Urgency,
)

__all__ = [
    "Caution",
    "Conflict",
    "Expectation",
    "Hazard",
    "Invariant",
    "RedFlag",
    "Source",
    "Step",
    "ThermalRule",
]

# --- red_flags.yaml ---------------------------------------------------------------


class RedFlag(ContentModel):
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


# --- thermal.yaml ---------------------------------------------------------------


class Caution(ContentModel):
    text: Text
    sources: SourceIds


class ThermalRule(ContentModel):
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


# --- relief.yaml and prevention.yaml ------------------------------------------------


class Step(ContentModel):
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


# --- sources.yaml ---------------------------------------------------------------


class Source(ContentModel):
    id: Id
    authors: Text
    title: Text
    publisher: Text
    year: int = Field(ge=1900, le=2100)
    url: Annotated[str, StringConstraints(pattern=r"^https://")]
    note: Text | None = None


# --- invariants.yaml ---------------------------------------------------------------


class Expectation(ContentModel):
    urgency_at_least: Urgency | None = None
    thermal_in: list[Advice] | None = None
    thermal_not: list[Advice] | None = None
    red_flags_include: list[Id] | None = None


class Invariant(ContentModel):
    id: Id
    statement: Text
    when: ConditionText
    then: Expectation
    sources: SourceIds


# --- hazards.yaml ---------------------------------------------------------------


class Hazard(ContentModel):
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


# --- conflicts.yaml ---------------------------------------------------------------


class Conflict(ContentModel):
    id: Id
    items: list[Id] = Field(
        min_length=2, description="Red flags, thermal rules or steps that must never be shown together."
    )
    reason: Text
    sources: SourceIds
