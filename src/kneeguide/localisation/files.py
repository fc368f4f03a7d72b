"""The shapes of the localisation files of a guidance folder.

``regions.yaml`` names every placeholder the content may use and what each
region puts in its place; ``ui.yaml`` holds every word the programs add
around the content (headings, labels, the words that join a rendered
condition); ``translations/<language>.yaml`` holds one language's text for
each of those strings, with the hash of the English it was made from.  All
three are optional: a folder without ``regions.yaml`` has one locale and no
placeholders, and a folder without ``ui.yaml`` uses the packaged one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "CARE_KINDS",
    "LOCALE_SCHEMAS",
    "Placeholder",
    "Region",
    "RegionsFile",
    "TranslationEntry",
    "TranslationFile",
    "UiEntry",
    "UiFile",
    "schema_of",
]

Care = Literal["emergency_services", "emergency_department", "same_day", "routine", "pharmacist"]
CARE_KINDS: tuple[str, ...] = (
    "emergency_services",
    "emergency_department",
    "same_day",
    "routine",
    "pharmacist",
)
"""The kinds of care a red flag can send a person to (``care`` on a red flag)."""

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Placeholder(_Model):
    key: Key
    meaning: Text = Field(description="What the region must put here, for the people who add a region.")
    care: list[Care] = Field(
        default_factory=list, description="The kinds of care this placeholder names, if it names a service."
    )
    may_be_empty: bool = Field(
        default=False,
        description="A region may leave it empty (an extra sentence only some regions need).",
    )


class Region(_Model):
    code: RegionCode
    name: Text
    values: dict[Key, str] = Field(description="Every placeholder's words in this region, in English.")
    spelling: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]+$")], str] = Field(
        default_factory=dict,
        description="Whole-word spellings for English text in this region, e.g. colour: color.",
    )


class RegionsFile(_Model):
    default: RegionCode = Field(description="The region of the default locale.")
    placeholders: list[Placeholder] = Field(min_length=1)
    regions: list[Region] = Field(min_length=1)


class UiEntry(_Model):
    text: Text
    params: list[Key] = Field(
        default_factory=list, description="The values the program fills in, written {name} in the text."
    )


class UiFile(_Model):
    language: Language
    strings: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$")], Text | UiEntry]


class TranslationEntry(_Model):
    source: Sha256 = Field(description="sha256 of the English text this translates (UTF-8, as loaded).")
    text: Text


class TranslationFile(_Model):
    language: Language
    name: Text = Field(description="The language's name in itself, e.g. Español.")
    regions: list[RegionCode] = Field(min_length=1, description="The regions it is shipped for.")
    translator: Text = Field(description="Who or what made the translation, truthfully.")
    reviewed: bool = Field(description="Whether a clinician has reviewed the translation.")
    reviewer: Text | None = Field(default=None, description="The clinical reviewer, when reviewed.")
    review_date: str | None = None
    reading_ease_min: float | None = Field(
        default=None, description="Spanish: the lowest Szigriszt-Pazos (INFLESZ) score allowed."
    )
    clinician_texts: Literal["translated", "english"] = Field(
        default="translated",
        description="'english': the strings only clinicians read (clinician notes, rationales, "
        "evidence notes, hazards, conflicts) are left in English, as a warning; every string a "
        "patient reads and every UI string must still be translated.",
    )
    texts: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9_.]*$")], TranslationEntry]


LOCALE_SCHEMAS: dict[str, tuple[str, type[BaseModel]]] = {
    "regions.yaml": ("regions.schema.json", RegionsFile),
    "ui.yaml": ("ui.schema.json", UiFile),
    "translations/": ("translation.schema.json", TranslationFile),
}
"""Each locale file (``translations/`` for every file in it), its schema's name and its model."""


def schema_of(name: str) -> str:
    """The schema file a locale file (``ui.yaml``, ``translations/es.yaml``) points at."""
    return LOCALE_SCHEMAS["translations/" if name.startswith("translations/") else name][0]
