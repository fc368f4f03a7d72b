"""Generate the JSON Schemas in ``schemas/`` from the pydantic models.

The committed schemas let editors validate guidance as authors type and let
other tools check the files without Python.  They are generated, never edited
by hand: ``kneeguide schemas --write schemas`` regenerates them, and a test
fails when the committed copies drift from the models.

The schemas of the service's API live in ``schemas/api/``: the answer set
and the partial answer set the interview takes (generated from the question
set of the packaged guidance, since the questions are data), the assessment
and the interview (from their pydantic models).  The service's OpenAPI
document embeds the same schemas, generated from the guidance it serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .models import FILES, SCHEMA_NAMES

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = [
    "answers_schema",
    "api_schemas",
    "assessment_schema",
    "generate",
    "generate_api",
    "interview_schema",
    "write",
]

SCHEMA_BASE = "https://kneeguide.example.org/schemas/"


def generate() -> dict[str, str]:
    """Every schema file's name and its exact text."""
    out: dict[str, str] = {}
    for fname, model in FILES.items():
        name = SCHEMA_NAMES[fname]
        if name in out:
            continue
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_BASE + name,
            **model.model_json_schema(mode="validation"),
        }
        schema.setdefault("description", f"A kneeguide guidance file ({fname}). Generated from the models.")
        out[name] = _text(schema)
    from .localisation.files import LOCALE_SCHEMAS

    for fname, (name, model) in LOCALE_SCHEMAS.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_BASE + name,
            **model.model_json_schema(mode="validation"),
        }
        what = "translations/<language>.yaml" if fname.endswith("/") else fname
        schema.setdefault("description", f"A kneeguide locale file ({what}). Generated from the models.")
        out[name] = _text(schema)
    return out


_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def answers_schema(guidance: Guidance, *, partial: bool = False) -> dict[str, Any]:
    """The answer set that ``assess`` accepts, from the question set: types, ranges, choices.

    Every question is a property; the required ones are ``required``; no
    other property is allowed.  Like ``assess`` it allows no coercion: a
    boolean is ``true`` or ``false``, never ``"yes"``.  ``partial`` is the
    answer set ``interview`` accepts: the same properties, none required.
    """
    properties: dict[str, Any] = {}
    for q in guidance.questions:
        prop: dict[str, Any] = {"title": q.text, "description": q.help}
        if q.type == "boolean":
            prop["type"] = "boolean"
        elif q.type == "integer":
            prop["type"] = "integer"
            if q.minimum is not None:
                prop["minimum"] = q.minimum
            if q.maximum is not None:
                prop["maximum"] = q.maximum
        else:
            prop["type"] = "string"
            prop["enum"] = [c.code for c in q.choices or ()]
        properties[q.id] = prop
    which = "A partial answer set (any questions answered so far)" if partial else "An answer set"
    return {
        "$schema": _DRAFT,
        "$id": SCHEMA_BASE + ("api/partial-answers.schema.json" if partial else "api/answers.schema.json"),
        "title": "PartialAnswers" if partial else "Answers",
        "description": f"{which} for {guidance.id} {guidance.version}, keyed by question id. "
        "Generated from the question set.",
        "type": "object",
        "properties": properties,
        "required": [] if partial else [q.id for q in guidance.questions if q.required],
        "additionalProperties": False,
    }


def assessment_schema() -> dict[str, Any]:
    """The assessment that ``assess`` returns, from its pydantic model."""
    from .engine import Assessment

    return {
        "$schema": _DRAFT,
        "$id": SCHEMA_BASE + "api/assessment.schema.json",
        **Assessment.model_json_schema(mode="serialization"),
    }


def interview_schema() -> dict[str, Any]:
    """The interview object that ``interview`` returns, from its pydantic model.

    Self-contained: the assessment it may hold is described in its ``$defs``
    exactly as in ``assessment.schema.json``, so either file validates alone.
    """
    from .adaptive import Interview

    return {
        "$schema": _DRAFT,
        "$id": SCHEMA_BASE + "api/interview.schema.json",
        **Interview.model_json_schema(mode="serialization"),
    }


def api_schemas(guidance: Guidance) -> dict[str, dict[str, Any]]:
    """The API schemas for ``guidance``, keyed by their path under ``schemas/``."""
    return {
        "api/answers.schema.json": answers_schema(guidance),
        "api/partial-answers.schema.json": answers_schema(guidance, partial=True),
        "api/assessment.schema.json": assessment_schema(),
        "api/interview.schema.json": interview_schema(),
    }


def generate_api() -> dict[str, str]:
    """The API schema files' paths under ``schemas/`` and their exact text, for the packaged guidance."""
    from . import load

    return {name: _text(schema) for name, schema in api_schemas(load()).items()}


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(folder: Path) -> list[Path]:
    """Write every schema, the content's and the API's, into ``folder``; return the paths written."""
    written = []
    for name, text in {**generate(), **generate_api()}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
