"""Every translatable string of the content, by a stable key, and how a locale renders one.

A key names where a string lives, not what it says, so a translation keeps
its key when the English changes (and its recorded hash then shows it is
stale): ``red_flags.possible_dvt.advice``, ``questions.muscle.choices.calf.label``,
``thermal.acute_injury_ice.cautions.0.text``, ``relief.relief_rest.how_to.1``,
``guideline.disclaimer``, ``ui.report.what_to_do_now``,
``regions.US.same_day_care``.

``walk`` reads the strings of typed content and ``rewrite`` builds a copy
with each string replaced; both follow one table (``FIELDS``), so what is
checked is exactly what is rendered.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from ..figures import FigureRef, Pose
from ..models import QUESTION_TYPES, Caution, Choice, Conflict, Hazard, Metadata, RedFlag, Step, ThermalRule

__all__ = [
    "FIELDS",
    "PATIENT_FIELDS",
    "PLACEHOLDER",
    "fill",
    "placeholders_in",
    "rewrite",
    "sha256",
    "walk",
]

FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    Metadata: ("title", "description", "purpose", "intended_use", "disclaimer"),
    **{q: ("text", "help", "unit", "subject", "when_yes", "when_no", "choices") for q in QUESTION_TYPES},
    Choice: ("label",),
    RedFlag: ("title", "advice", "clinician_note"),
    ThermalRule: ("title", "instructions", "cautions", "rationale", "for_whom"),
    Caution: ("text",),
    Step: ("title", "text", "how_to", "evidence_note", "for_whom", "figure"),
    FigureRef: ("alt",),
    Pose: ("alt",),
    Hazard: ("hazard", "cause", "effect", "control", "verification"),
    Conflict: ("reason",),
}
"""The text fields of each kind of item; ids, codes, conditions and sources are never translated."""

PATIENT_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("questions", "text"),
        ("questions", "help"),
        ("red_flags", "title"),
        ("red_flags", "advice"),
        ("thermal", "title"),
        ("thermal", "instructions"),
        ("thermal", "cautions"),
        ("questions", "choices"),
        ("thermal", "for_whom"),
        ("relief", "for_whom"),
        ("prevention", "for_whom"),
        ("figures", "alt"),
        ("relief", "title"),
        ("relief", "text"),
        ("relief", "how_to"),
        ("prevention", "title"),
        ("prevention", "text"),
        ("prevention", "how_to"),
        ("guideline", "disclaimer"),
    }
)
"""(collection, field) pairs a patient reads: the body the reading grade is measured on
(the same body as the English check in ``loader.patient_texts``)."""

PLACEHOLDER = re.compile(r"\{([A-Za-z_][^{}]*)\}")
"""``{name}``: a region's words (``{emergency_number}``) or a value a program fills in."""


def sha256(text: str) -> str:
    """The hash a translation records of its English source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def placeholders_in(text: str) -> Iterator[tuple[str, int]]:
    """Each ``{name}`` in ``text`` with its offset (the name may be malformed)."""
    for m in PLACEHOLDER.finditer(text):
        yield m.group(1), m.start()


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each ``{name}`` whose name is in ``values``; leave every other brace alone."""
    if "{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


Rewriter = Callable[[str, str], str]
"""``fn(key, text) -> text``."""


def _sub_key(item: object, index: int) -> str:
    return item.code if isinstance(item, Choice) else str(index)


def _rewrite_model(obj: BaseModel, key: str, fn: Rewriter) -> BaseModel:
    update: dict[str, Any] = {}
    for name in FIELDS[type(obj)]:
        value = getattr(obj, name)
        if value is None:
            continue
        here = f"{key}.{name}"
        new: Any
        if isinstance(value, str):
            new = fn(here, value)
        elif isinstance(value, BaseModel):
            new = _rewrite_model(value, here, fn)
        else:
            new = [
                fn(f"{here}.{i}", v)
                if isinstance(v, str)
                else _rewrite_model(v, f"{here}.{_sub_key(v, i)}", fn)
                for i, v in enumerate(value)
            ]
        if new != value:
            update[name] = new
    return obj.model_copy(update=update) if update else obj


COLLECTIONS: tuple[tuple[str, str], ...] = (
    ("questions", "questions"),
    ("red_flags", "red_flags"),
    ("thermal", "thermal_rules"),
    ("relief", "relief"),
    ("prevention", "prevention"),
    ("hazards", "hazards"),
    ("conflicts", "conflicts"),
)
"""(key prefix, ``Guidance`` attribute) of every collection of items with text."""


def rewrite(parts: Mapping[str, Any], fn: Rewriter) -> dict[str, Any]:
    """New ``Guidance`` field values with every string passed through ``fn``.

    ``parts`` holds ``metadata`` and the collections of ``COLLECTIONS`` by
    attribute name; the result holds the same names.
    """
    out: dict[str, Any] = {"metadata": _rewrite_model(parts["metadata"], "guideline", fn)}
    for prefix, attr in COLLECTIONS:
        out[attr] = tuple(_rewrite_model(item, f"{prefix}.{item.id}", fn) for item in parts[attr])
    if "poses" in parts:  # the pictures' alt text (figures.yaml)
        out["poses"] = {
            pid: _rewrite_model(pose, f"figures.{pid}", fn) for pid, pose in parts["poses"].items()
        }
    return out


def walk(parts: Mapping[str, Any]) -> dict[str, str]:
    """Every string of ``parts`` by key, in content order."""
    found: dict[str, str] = {}

    def record(key: str, text: str) -> str:
        found[key] = text
        return text

    rewrite(parts, record)
    return found


CLINICIAN_FIELDS = frozenset({"clinician_note", "rationale", "evidence_note"})
"""Item fields only clinicians read (with every hazard and conflict text)."""


def is_clinician_key(key: str) -> bool:
    """Whether a content key names text only clinicians read (``TranslationFile.clinician_texts``)."""
    parts = key.split(".")
    return parts[0] in ("hazards", "conflicts") or (len(parts) == 3 and parts[2] in CLINICIAN_FIELDS)


def is_patient_key(key: str) -> bool:
    """Whether a content key names text a patient reads (see ``PATIENT_FIELDS``)."""
    parts = key.split(".")
    return (len(parts) >= 3 and (parts[0], parts[2]) in PATIENT_FIELDS) or key == "guideline.disclaimer"
