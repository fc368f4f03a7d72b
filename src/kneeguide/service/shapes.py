"""The hand-written parts of the OpenAPI document: what no model or published schema describes.

The answer sets, the assessment and the interview are the published JSON
Schemas (``kneeguide.schemas``); these are the service's own envelopes: the
problem details, the question listing, the guidance card, the health answer
and the CDS Hooks 2.0 shapes this service reads and writes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CDS_CARDS",
    "CDS_DISCOVERY",
    "CDS_REQUEST",
    "COMPONENTS",
    "GUIDANCE_INFO",
    "HEALTH",
    "PROBLEM",
    "QUESTIONS",
]

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


_STRING = {"type": "string"}
PROBLEM: Json = {
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
QUESTIONS: Json = {
    "type": "object",
    "required": ["guidance", "locale", "questions"],
    "properties": {
        "guidance": _ref("GuidanceRef"),
        "locale": _STRING,
        "questions": {"type": "array", "items": _QUESTION},
    },
}
GUIDANCE_INFO: Json = {
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
HEALTH: Json = {
    "type": "object",
    "required": ["status", "guidance"],
    "properties": {"status": {"const": "ok"}, "guidance": _ref("GuidanceRef")},
}
CDS_DISCOVERY: Json = {
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
CDS_REQUEST: Json = {
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
CDS_CARDS: Json = {
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


COMPONENTS: dict[str, Json] = {
    "Problem": PROBLEM,
    "Questions": QUESTIONS,
    "GuidanceInfo": GUIDANCE_INFO,
    "Health": HEALTH,
    "CdsDiscovery": CDS_DISCOVERY,
    "CdsRequest": CDS_REQUEST,
    "CdsCards": CDS_CARDS,
}
"""The hand-written components, by name in ``components/schemas``."""
