"""The OpenAPI 3.1 description of the service, built from the guidance it serves.

The answer set, the partial answer set, the assessment and the interview are
the published JSON Schemas (``schemas/api/``, from ``kneeguide.schemas``),
generated here for the guidance actually loaded, so a service started with
``--guidance DIR`` describes that folder's questions.  They are embedded
under ``components/schemas`` (their ``$defs`` become components of their
own, shared where two schemas define the same part) so that tools need not
fetch anything; each names its published ``$id`` in ``externalDocs``.  The
service's own envelopes are in ``shapes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__
from ..schemas import answers_schema, assessment_schema, interview_schema
from .operations import DIGEST_HEADER, REQUEST_ID_HEADER
from .problems import PROBLEM_MEDIA_TYPE
from .shapes import COMPONENTS

if TYPE_CHECKING:
    from ..guidance import Guidance

__all__ = ["document", "published_components"]

Json = dict[str, Any]

FHIR_ACCESS = (
    "Reads the patient's latest completed QuestionnaireResponse from prefetch. Without the "
    "prefetch key, and with fhirServer and fhirAuthorization, the search is made against the "
    "FHIR server only when the service was started with it on its allow-list "
    "(--fhir-server or KNEEGUIDE_FHIR_SERVERS; none by default); otherwise the answer is "
    "412 naming fhirServer, and nothing is contacted."
)


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def published_components(g: Guidance) -> Json:
    """The published schemas for ``g`` as OpenAPI components, with their parts."""
    components: Json = {}
    for name, schema in (
        ("Answers", answers_schema(g)),
        ("PartialAnswers", answers_schema(g, partial=True)),
        ("Assessment", assessment_schema()),
        ("Interview", interview_schema()),
    ):
        _published(schema, components, name)
    return components


def _published(schema: Json, components: Json, name: str) -> None:
    """Add a published schema as component ``name``, its ``$defs`` as components beside it.

    A part two schemas share (the interview holds an assessment) becomes one
    component; two different schemas under one name are a bug, refused here.
    """
    schema = dict(schema)
    published = schema.pop("$id")
    schema.pop("$schema", None)
    parts = {def_name: _rebased(sub) for def_name, sub in schema.pop("$defs", {}).items()}
    parts[name] = _rebased(schema)
    for part_name, part in parts.items():
        known = components.setdefault(part_name, part)
        if {k: v for k, v in known.items() if k != "externalDocs"} != part:
            raise ValueError(f"two different schemas would be the component {part_name!r}")
    components[name] = {
        **parts[name],
        "externalDocs": {"description": "the published JSON Schema", "url": published},
    }


def _rebased(node: Any) -> Any:
    """``#/$defs/X`` references as ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _rebased(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebased(v) for v in node]
    return node


def _ok(schema: Json, description: str) -> Json:
    return {
        "description": description,
        "headers": {
            DIGEST_HEADER: {"$ref": "#/components/headers/GuidanceDigest"},
            REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"},
        },
        "content": {"application/json": {"schema": schema}},
    }


def _problems(*statuses: int) -> Json:
    reasons = {
        400: "Bad query parameters, malformed JSON or a bad request, naming every field",
        404: "No such CDS service",
        412: "No prefetch, and no FHIR server this service may read (CDS Hooks 2.0)",
        413: "The body is larger than the limit",
        415: "The body is not application/json in UTF-8",
        422: "The answers were refused, naming every field",
        500: "An unexpected error, answered with the id it was logged with",
        502: "The FHIR server named in the request could not be read",
    }
    return {
        str(s): {"description": reasons[s], "content": {PROBLEM_MEDIA_TYPE: {"schema": _ref("Problem")}}}
        for s in (*statuses, 500)
    }


def _operation(
    summary: str,
    ok: Json,
    *problems: int,
    body: Json | None = None,
    path_id: bool = False,
    description: str | None = None,
) -> Json:
    op: Json = {
        "summary": summary,
        **({"description": description} if description else {}),
        "parameters": [{"$ref": "#/components/parameters/locale"}],
        "responses": {"200": ok, **_problems(400, *problems)},
    }
    if path_id:
        op["parameters"].append(
            {"name": "service_id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def document(g: Guidance) -> Json:
    """The OpenAPI 3.1 document for a service of ``g``.

    ``GuidanceRef`` and the other parts of the assessment come from the
    published schemas' ``$defs``; the service's other answers refer to them.
    """
    components: Json = {**COMPONENTS, **published_components(g)}
    body_problems = (413, 415, 422)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"kneeguide: {g.metadata.title}",
            "version": __version__,
            "description": f"Serves {g.id} {g.version} ({g.digest}). {g.metadata.intended_use}",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": {
            "/questions": {
                "get": _operation("The question set, in ask order", _ok(_ref("Questions"), "The questions"))
            },
            "/assess": {
                "post": _operation(
                    "Assess one complete answer set",
                    _ok(_ref("Assessment"), "The assessment"),
                    *body_problems,
                    body=_ref("Answers"),
                )
            },
            "/interview": {
                "post": _operation(
                    "Where an interview stands: what is certain and what to ask next",
                    _ok(_ref("Interview"), "The interview"),
                    *body_problems,
                    body=_ref("PartialAnswers"),
                )
            },
            "/guidance": {
                "get": _operation(
                    "What the guidance is and rests on", _ok(_ref("GuidanceInfo"), "The guidance")
                )
            },
            "/healthz": {
                "get": _operation("Liveness and the guidance served", _ok(_ref("Health"), "Serving"))
            },
            "/openapi.json": {"get": _operation("This document", _ok({"type": "object"}, "OpenAPI 3.1"))},
            "/cds-services": {
                "get": _operation("CDS Hooks 2.0 discovery", _ok(_ref("CdsDiscovery"), "The CDS services"))
            },
            "/cds-services/{service_id}": {
                "post": _operation(
                    "CDS Hooks 2.0 patient-view: cards for clinicians",
                    _ok(_ref("CdsCards"), "Cards (an empty list when the patient has no response)"),
                    404,
                    412,
                    *body_problems,
                    502,
                    body=_ref("CdsRequest"),
                    path_id=True,
                    description=FHIR_ACCESS,
                )
            },
        },
        "components": {
            "schemas": components,
            "parameters": {
                "locale": {
                    "name": "locale",
                    "in": "query",
                    "required": False,
                    "description": "BCP 47 language tag of the texts",
                    "schema": {"type": "string", "enum": list(g.locales), "default": g.locales[0]},
                }
            },
            "headers": {
                "GuidanceDigest": {
                    "description": "sha256 digest of the guidance content that answered",
                    "schema": {"type": "string"},
                },
                "RequestId": {
                    "description": "The id this request is logged under",
                    "schema": {"type": "string"},
                },
            },
        },
    }
