"""The Bundle: every resource of the export, as a ``collection`` or a ``transaction``.

A ``collection`` is what a knowledge repository or an engine loads as a
file; a ``transaction`` is what a FHIR server takes in one POST: each entry
carries ``request`` (``PUT <type>/<id>``), so loading it twice leaves one
copy of each resource.  Every canonical resource carries the CRMI/CPG
metadata (``meta.profile``, ``identifier``, knowledge capability and
representation level).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .common import Json, Urls, artifact_name, contact

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance

__all__ = ["BUNDLE_TYPES", "Artifacts", "build"]

BUNDLE_TYPES = ("collection", "transaction")

_CPG = "http://hl7.org/fhir/uv/cpg/StructureDefinition"
_CRMI = "http://hl7.org/fhir/uv/crmi/StructureDefinition"
PROFILES: dict[str, tuple[str, ...]] = {
    "PlanDefinition": (f"{_CPG}/cpg-computableplandefinition", f"{_CRMI}/crmi-shareableplandefinition"),
    "Library": (f"{_CPG}/cpg-computablelibrary", f"{_CPG}/cpg-executablelibrary"),
    "ActivityDefinition": (f"{_CPG}/cpg-communicationactivity", f"{_CRMI}/crmi-shareableactivitydefinition"),
    "Questionnaire": (f"{_CRMI}/crmi-shareablequestionnaire",),
    "CodeSystem": (f"{_CRMI}/crmi-shareablecodesystem",),
}
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "PlanDefinition": ("shareable", "computable", "executable", "publishable"),
    "Library": ("shareable", "computable", "executable"),
}
"""``cpg-knowledgeCapability`` per resource type; the others are shareable."""


class Artifacts:
    """The elements every canonical resource shares, in a fixed order."""

    def __init__(self, guidance: Guidance, urls: Urls) -> None:
        self.g = guidance
        self.urls = urls
        meta = guidance.metadata
        dates = [e.date for e in meta.change_log if e.version == meta.version] or [
            e.date for e in meta.change_log
        ]
        self.date = max(dates).isoformat()

    def artifact(
        self, resource_type: str, resource_id: str, name: str, title: str, level: str | None = None
    ) -> Json:
        meta, urls = self.g.metadata, self.urls
        extensions = [
            {"url": f"{_CPG}/cpg-knowledgeCapability", "valueCode": code}
            for code in CAPABILITIES.get(resource_type, ("shareable",))
        ]
        if level is not None:
            extensions.append({"url": f"{_CPG}/cpg-knowledgeRepresentationLevel", "valueCode": level})
        return {
            "resourceType": resource_type,
            "id": resource_id,
            "meta": {"profile": list(PROFILES[resource_type])},
            "extension": extensions,
            "url": urls.url(resource_type, resource_id),
            "identifier": [
                {
                    "use": "official",
                    "system": "urn:ietf:rfc:3986",
                    "value": urls.url(resource_type, resource_id),
                }
            ],
            "version": urls.version,
            "name": artifact_name(name),
            "title": title,
            "status": meta.status,
            "experimental": meta.experimental,
            "date": self.date,
            "publisher": meta.publisher,
            "contact": [contact(p.name, p.url, p.email) for p in meta.contact],
        }


def build(guidance: Guidance, bundle_type: Literal["collection", "transaction"] = "collection") -> Json:
    """The Bundle as JSON-ready dicts, in the order it is written."""
    from .fhirpath import FhirPath
    from .library import Library
    from .plan import Plan
    from .questionnaire import Questions

    if bundle_type not in BUNDLE_TYPES:
        raise ValueError(f"bundle type must be one of {', '.join(BUNDLE_TYPES)}, not {bundle_type!r}")
    urls = Urls(guidance)
    artifacts = Artifacts(guidance, urls)
    questions = Questions(guidance, urls, artifacts)
    plan = Plan(guidance, urls, artifacts, FhirPath(guidance, urls.answer_system))
    library = Library(guidance, urls)
    lib = artifacts.artifact(
        "Library", urls.plan_id, guidance.id, guidance.metadata.title, level="executable"
    )
    lib.update(
        {
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/library-type",
                        "code": "logic-library",
                        "display": "Logic Library",
                    }
                ]
            },
            "description": guidance.words(
                "fhir.library_description", url=urls.url("PlanDefinition", urls.plan_id)
            ),
            "relatedArtifact": [
                {
                    "type": "depends-on",
                    "label": "questionnaire",
                    "display": guidance.words("fhir.library_artifact"),
                    "resource": urls.pinned("Questionnaire", urls.plan_id),
                }
            ],
            "dataRequirement": [{"type": "QuestionnaireResponse"}],
            "content": library.content(),
        }
    )
    resources = [plan.plan_definition(), lib, questions.questionnaire(), *questions.codesystems()]
    resources += plan.activity_definitions()
    seen: set[tuple[str, str]] = set()
    for res in resources:
        key = (res["resourceType"], res["id"])
        if key in seen:
            raise ValueError(f"two {key[0]} resources would have the id {key[1]!r}")
        seen.add(key)
    entries = []
    for res in resources:
        entry: Json = {"fullUrl": urls.url(res["resourceType"], res["id"]), "resource": res}
        if bundle_type == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    return {"resourceType": "Bundle", "id": urls.plan_id, "type": bundle_type, "entry": entries}
