"""The ``fhir`` export: one FHIR R4 (4.0.1) Bundle that $apply engines run (contracts.md section 4).

The Bundle holds the ``PlanDefinition`` (CPG-shaped: a validity gate, then
group actions for red flags, the one ice or heat rule and the steps), the
``Library`` of its logic in CQL and ELM (rendered from the decision model,
one define per definition), the ``Questionnaire`` whose response the logic
reads, the CodeSystems of answers, questions, topics and action kinds, and
an ``ActivityDefinition`` per action carrying the advice text, so the
CommunicationRequest an engine's $apply creates holds the words.  Each
condition is ``text/cql`` naming its define, with the same condition in
FHIRPath beside it (``cqf-alternativeExpression``); both select exactly what
``Guidance.assess`` selects, and the gate fires on incomplete answers.
``kneeguide apply`` runs the same $apply in process (``.apply``).  The
mapping is documented in docs/fhir.md.

This package is imported by ``kneeguide formats``, so the heavy imports wait
until ``render`` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat

from .common import (
    ACTION_KIND_CODESYSTEM_ID,
    FHIR_VERSION,
    PRIORITY_OF_URGENCY,
    artifact_name,
    fhir_id,
)

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance

__all__ = [
    "ACTION_KIND_CODESYSTEM_ID",
    "FHIR_VERSION",
    "PRIORITY_OF_URGENCY",
    "artifact_name",
    "build_bundle",
    "build_questionnaire",
    "fhir_id",
    "kneeguide_formats",
    "render",
]

BUNDLE_OPTION = ("bundle", ("collection", "transaction"))
"""The one export option: the Bundle's type (the first is the default)."""


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    """The built-in ``fhir`` format."""
    return [
        ExportFormat(
            name="fhir",
            media_type="application/fhir+json",
            render=render,
            description="FHIR R4 4.0.1 Bundle: CPG PlanDefinition, CQL/ELM Library, Questionnaire, "
            "ActivityDefinitions",
            options={BUNDLE_OPTION[0]: BUNDLE_OPTION[1]},
        )
    ]


def render(guidance: Guidance, bundle: str = "collection") -> dict[str, bytes]:
    """The Bundle as ``{"<guidance id>.fhir.json": bytes}``: UTF-8, two-space indent, final newline.

    The Bundle is in the guidance's locale, with its region's other languages
    as translations (``fhir_locale``).
    """
    from ..fhir_locale import localise_bundle
    from .jsontext import encoded

    built = localise_bundle(build_bundle(guidance, bundle), guidance, lambda g: build_bundle(g, bundle))
    return {f"{guidance.id}.fhir.json": encoded(built)}


def build_bundle(guidance: Guidance, bundle_type: str = "collection") -> dict[str, Any]:
    """The Bundle as JSON-ready dicts, in the order it is written."""
    from .bundle import build

    if bundle_type not in BUNDLE_OPTION[1]:
        raise ValueError(f"bundle type must be one of {', '.join(BUNDLE_OPTION[1])}, not {bundle_type!r}")
    return build(guidance, "transaction" if bundle_type == "transaction" else "collection")


def build_questionnaire(guidance: Guidance) -> dict[str, Any]:
    """The exported Questionnaire alone, as in the Bundle (without building the logic)."""
    from .bundle import Artifacts
    from .common import Urls
    from .questionnaire import Questions

    urls = Urls(guidance)
    return Questions(guidance, urls, Artifacts(guidance, urls)).questionnaire()
