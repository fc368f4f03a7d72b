"""The shape of each file: JSON Schema (the schemas editors use), then pydantic.

The JSON Schema stage speaks of fields and values an author wrote; pydantic
runs only on a file the schema accepted, so one mistake is never reported by
both.  A misspelt field (``urgncy``) is one mistake: it is reported as the
unknown field with the name it was meant to have, not also as that
required field missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..hints import closest, did_you_mean
from ..models import FILES, SCHEMA_NAMES
from ..resources import schemas_dir
from ..yamlsource import YamlDocument

if TYPE_CHECKING:
    from .core import Checker

__all__ = ["model_check", "schema_check"]

_MAX_QUOTED = 100
Path_ = tuple[str | int, ...]


@cache
def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / name).read_text("utf-8"))
    return data


def schema_check(ctx: Checker, name: str, doc: YamlDocument, reported: Iterable[Path_] = ()) -> bool:
    """Check ``doc`` against its JSON Schema; True when it conforms.

    ``reported`` are the paths whose text an earlier check already refused
    (a bad character in an id): the schema's complaint about the same value
    would be the same mistake again.
    """
    from jsonschema import Draft202012Validator

    schema = _schema(SCHEMA_NAMES[name])
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    skip = set(reported)
    missing: dict[Path_, list[str]] = {}
    for err in errors:
        if err.validator == "required" and isinstance(err.instance, dict):
            missing.setdefault(tuple(err.absolute_path), []).extend(
                r for r in err.validator_value if r not in err.instance
            )
    meant: set[tuple[Path_, str]] = set()  # (item, required field) that an unknown field stands for
    for err in errors:
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - allowed):
                guess = closest(extra, allowed)
                if guess is not None:
                    if guess in missing.get(path, []):
                        meant.add((path, guess))
                    message = f"unexpected field {extra!r} (did you mean {guess!r}?)"
                else:
                    message = f"unexpected field {extra!r} (allowed: {', '.join(sorted(allowed))})"
                ctx.error(name, (*path, extra), message, key=True, code="unknown-field")
    for err in errors:
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties":
            continue
        if err.validator == "required" and isinstance(err.instance, dict):
            for r in missing.get(path, []):
                if (path, r) not in meant:
                    ctx.error(name, path, f"missing required field {r!r}", code="missing-field")
            missing.pop(path, None)  # several "required" errors at one item: report its fields once
            continue
        if err.validator in ("anyOf", "oneOf"):
            from jsonschema.exceptions import best_match

            # An optional field is "X or null"; "is not of type 'null'" helps nobody,
            # so the other branch's error (with its own, deeper position) is shown.
            useful = [e for e in err.context or [] if e.schema.get("type") != "null"]
            best = best_match(useful or err.context or [])
            if best is not None:
                err, path = best, tuple(best.absolute_path)
        if path in skip:
            continue
        ctx.error(name, path, _friendly(err.validator, err.message, err.instance, err.schema), code="schema")
    return not errors


def model_check(ctx: Checker, name: str, doc: YamlDocument) -> None:
    """Build the typed model of a file the JSON Schema accepted."""
    model = FILES[name]
    try:
        ctx.models[name] = model.model_validate(doc.data)
    except ValidationError as exc:
        for e in exc.errors():
            ctx.error(name, tuple(e["loc"]), e["msg"], code="schema")


def _friendly(validator: Any, message: str, instance: Any, schema: Any) -> str:
    # jsonschema quotes the whole value ("'...' is too long"); a huge one would flood the report.
    quoted = repr(instance)
    if len(quoted) > _MAX_QUOTED:
        message = message.replace(quoted, f"{quoted[: _MAX_QUOTED - 20]}... ({len(quoted)} characters)")
    if validator == "pattern":
        return message.replace("does not match", "is not in the expected form")
    if validator == "enum" and isinstance(instance, str) and isinstance(schema, dict):
        return message + did_you_mean(instance, [str(v) for v in schema.get("enum", [])])
    return message
