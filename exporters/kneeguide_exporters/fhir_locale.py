"""The locale of a FHIR Bundle: ``language`` on every resource, and the R4 translation extension.

A Bundle is exported for one locale: the Bundle and each resource carry
that locale as ``language`` (Resource.language, BCP 47), and the
PlanDefinition's ``jurisdiction`` is the locale's region (it comes from the
localised metadata).  The guidance's other locales for the same region (for
the US: ``es-US`` beside ``en-US``) ride along on every text element that
differs, as the R4 translation extension
(http://hl7.org/fhir/StructureDefinition/translation, ``lang`` and
``content``) on the element's ``_name`` sibling, so one set of resources
serves every language of a jurisdiction.  Locales of other regions are not
translations but different advice (other numbers, other services): they are
separate exports (``kneeguide export fhir --locale all``).

The Bundles of all locales have the same shape (the same resources, actions
and items in the same order; only text differs), so the translations are
found by walking two Bundles side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance

__all__ = ["TRANSLATION_EXT", "localise_bundle"]

TRANSLATION_EXT = "http://hl7.org/fhir/StructureDefinition/translation"

_NOT_TEXT = frozenset(
    {"id", "url", "version", "language", "system", "code", "reference", "fullUrl", "expression", "resource"}
)
"""Elements that are identifiers, never words, even where two locales differ."""

Json = dict[str, Any]


def localise_bundle(bundle: Json, guidance: Guidance, build: Callable[[Guidance], Json]) -> Json:
    """``bundle`` (built from ``guidance``) with its language and the same region's translations."""
    locale = guidance.locale
    siblings = [
        tag for tag in guidance.locales if tag != locale and tag.split("-")[-1] == locale.split("-")[-1]
    ]
    for tag in siblings:
        _add_translations(bundle, build(guidance.localized(tag)), tag)
    out = _with_language(bundle, locale)
    out["entry"] = [{**e, "resource": _with_language(e["resource"], locale)} for e in bundle["entry"]]
    return out


def _with_language(resource: Json, locale: str) -> Json:
    """The resource with ``language`` right after ``id`` (JSON order does not matter; it reads well)."""
    out: Json = {}
    for key, value in resource.items():
        out[key] = value
        if key == "id":
            out["language"] = locale
    return out


def _add_translations(mine: Any, theirs: Any, tag: str) -> None:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in list(mine):
            a, b = mine[key], theirs.get(key)
            if isinstance(a, str) and isinstance(b, str):
                if a != b and key not in _NOT_TEXT and not key.startswith("_"):
                    ext = mine.setdefault(f"_{key}", {}).setdefault("extension", [])
                    ext.append(
                        {
                            "url": TRANSLATION_EXT,
                            "extension": [
                                {"url": "lang", "valueCode": tag},
                                {"url": "content", "valueString": b},
                            ],
                        }
                    )
            else:
                _add_translations(a, b, tag)
    elif isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        for a, b in zip(mine, theirs, strict=True):
            _add_translations(a, b, tag)
