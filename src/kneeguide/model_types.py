"""The building blocks of the content models: identifiers, texts, conditions, urgencies.

Every content model (``kneeguide.models`` and the modules it gathers) is
built from these annotated types, so an id, a text or a condition is
constrained the same way in every file and in every generated JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "URGENCIES",
    "Advice",
    "ConditionText",
    "ContentModel",
    "GuidelineId",
    "Id",
    "SelfCareUrgency",
    "SemVer",
    "SourceIds",
    "Text",
    "Urgency",
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


class ContentModel(BaseModel):
    """A content model: unknown fields refused, immutable, its validator built on first use."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
