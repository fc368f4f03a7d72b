"""The OpenAPI 3.1 description of the service, built from the guidance it serves.

The answer set and the assessment are the published JSON Schemas
(``schemas/api/``, from ``kneeguide.schemas``), generated here for the
guidance actually loaded, so a service started with ``--guidance DIR``
describes that folder's questions.  They are embedded under
``components/schemas`` (the assessment's ``$defs`` become components of
their own) so that tools need not fetch anything; each names its published
``$id`` in ``externalDocs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__
from ..schemas import answers_schema, assessment_schema
from .operations import DIGEST_HEADER, REQUEST_ID_HEADER
from .problems import PROBLEM_MEDIA_TYPE

if TYPE_CHECKING:
    from ..guidance import Guidance

__all__ = ["document"]

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _published(schema: Json, components: Json, name: str) -> None:
    """Add a published schema as component ``name``, its ``$defs`` as components beside it."""
    schema = dict(schema)
    published = schema.pop("$id")
    schema.pop("$schema", None)
    for def_name, sub in schema.pop("$defs", {}).items():
        if def_name in components:
            raise ValueError(f"two schemas would be the component {def_name!r}")
        components[def_name] = _rebased(sub)
    schema["externalDocs"] = {"description": "the published JSON Schema", "url": published}
    components[name] = _rebased(schema)


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


_STRING = {"type": "string"}
_PROBLEM: Json = {
    "type": "object",
    "description": "RFC 9457 problem details; errors names every offending field.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": _STRING,
        "status": {"type": "integer"},
        "detail": _STRING,
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": _STRING,
                    "message": _STRING,
                    "code": {
                        "type": "string",
                        "description": "Answers only: a stable code, e.g. out_of_range.",
                    },
                    "params": {"type": "object", "description": "Answers only: the code's values."},
                },
                "additionalProperties": False,
            },
        },
        "error_id": {"type": "string", "description": "500 only: the id the error was logged with."},
    },
}
_QUESTION: Json = {
    "type": "object",
    "required": ["id", "type", "text", "help", "required"],
    "properties": {
        "id": _STRING,
        "type": {"enum": ["boolean", "integer", "choice"]},
        "text": _STRING,
        "help": _STRING,
        "required": {"type": "boolean"},
        "minimum": {"type": ["integer", "null"]},
        "maximum": {"type": ["integer", "null"]},
        "unit": {"type": ["string", "null"]},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "label"],
                "properties": {"code": _STRING, "label": _STRING},
            },
        },
    },
}
_QUESTIONS: Json = {
    "type": "object",
    "required": ["guidance", "locale", "questions"],
    "properties": {
        "guidance": _ref("GuidanceRef"),
        "locale": _STRING,
        "questions": {"type": "array", "items": _QUESTION},
    },
}
_GUIDANCE_INFO: Json = {
    "type": "object",
    "required": [
        "id",
        "version",
        "digest",
        "title",
        "intended_use",
        "last_review_date",
        "next_review_due",
        "sources",
    ],
    "properties": {
        **{k: _STRING for k in ("id", "version", "digest", "title", "intended_use", "disclaimer", "url")},
        **{
            k: {"type": "string", "format": "date"}
            for k in ("approval_date", "last_review_date", "next_review_due")
        },
        "sources": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "url"],
                "properties": {"id": _STRING, "title": _STRING, "url": {"type": "string", "format": "uri"}},
            },
        },
    },
}
_HEALTH: Json = {
    "type": "object",
    "required": ["status", "guidance"],
    "properties": {"status": {"const": "ok"}, "guidance": _ref("GuidanceRef")},
}
_CDS_DISCOVERY: Json = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "id", "description"],
                "properties": {
                    "hook": _STRING,
                    "id": _STRING,
                    "title": _STRING,
                    "description": _STRING,
                    "prefetch": {"type": "object", "additionalProperties": _STRING},
                    "usageRequirements": _STRING,
                },
            },
        }
    },
}
_CDS_REQUEST: Json = {
    "type": "object",
    "description": "A CDS Hooks 2.0 request for the patient-view hook.",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"const": "patient-view"},
        "hookInstance": _STRING,
        "fhirServer": {"type": "string", "format": "uri"},
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type"],
            "properties": {"access_token": _STRING, "token_type": {"const": "Bearer"}},
        },
        "context": {
            "type": "object",
            "required": ["patientId"],
            "properties": {"patientId": _STRING, "userId": _STRING, "encounterId": _STRING},
        },
        "prefetch": {"type": ["object", "null"]},
        "extension": {"type": "object"},
    },
    "additionalProperties": False,
}
_CDS_CARDS: Json = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["summary", "indicator", "source"],
                "properties": {
                    "uuid": _STRING,
                    "summary": {"type": "string", "maxLength": 139},
                    "detail": _STRING,
                    "indicator": {"enum": ["info", "warning", "critical"]},
                    "source": {"type": "object", "required": ["label"]},
                    "suggestions": {"type": "array", "items": {"type": "object", "required": ["label"]}},
                    "selectionBehavior": {"enum": ["at-most-one", "any"]},
                    "links": {
                        "type": "array",
                        "items": {"type": "object", "required": ["label", "url", "type"]},
                    },
                },
            },
        }
    },
}


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
    summary: str, ok: Json, *problems: int, body: Json | None = None, path_id: bool = False
) -> Json:
    op: Json = {
        "summary": summary,
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
    assessment schema's ``$defs``; the service's other answers refer to them.
    """
    components: Json = {
        "Problem": _PROBLEM,
        "Questions": _QUESTIONS,
        "GuidanceInfo": _GUIDANCE_INFO,
        "Health": _HEALTH,
        "CdsDiscovery": _CDS_DISCOVERY,
        "CdsRequest": _CDS_REQUEST,
        "CdsCards": _CDS_CARDS,
    }
    _published(answers_schema(g), components, "Answers")
    _published(assessment_schema(), components, "Assessment")
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
                    *body_problems,
                    502,
                    body=_ref("CdsRequest"),
                    path_id=True,
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
