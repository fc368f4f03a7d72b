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
from typing import TYPE_CHECKING, Any, NamedTuple

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
    errors = list(validator.iter_errors(doc.data))
    _report(ctx, name, schema, errors, set(reported))
    return not errors


def _report(
    ctx: Checker,
    name: str,
    root: dict[str, Any],
    errors: list[Any],
    skip: set[Path_],
    variant: _Variant | None = None,
) -> None:
    """Report schema errors as an author's mistakes, one error each.

    ``variant`` is set for the errors of one type of a tagged union (a
    question of one ``type``): a field only another type has, or one this
    type needs and others do not, is then said in the words of the type.
    """
    errors = sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
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
                if variant is not None and extra in variant.elsewhere:
                    ctx.error(name, (*path, extra), variant.cannot(extra), key=True, code=variant.code)
                    continue
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
                if (path, r) in meant:
                    continue
                if variant is not None and r in variant.needs:
                    ctx.error(name, path, variant.needs_field(r), code=variant.code)
                else:
                    ctx.error(name, path, f"missing required field {r!r}", code="missing-field")
            missing.pop(path, None)  # several "required" errors at one item: report its fields once
            continue
        if err.validator == "oneOf" and isinstance(err.schema, dict) and "discriminator" in err.schema:
            _report_tagged(ctx, name, root, err, skip)
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


class _Kind(NamedTuple):
    noun: str
    code: str


_KINDS = {"questions": _Kind(noun="question", code="question-type")}
"""By the list a tagged union's items stand in: how to name an item, and the code of a field
its type needs or cannot have (docs/diagnostics.md)."""


class _Variant:
    """One type of a tagged union, as the messages about its fields need it."""

    def __init__(self, tag: str, noun: str, code: str, branches: list[dict[str, Any]], index: int) -> None:
        self.tag, self.noun, self.code = tag, noun, code
        mine = branches[index]
        others = [b for i, b in enumerate(branches) if i != index]
        self.elsewhere = {p for b in others for p in b.get("properties", {})} - set(
            mine.get("properties", {})
        )
        """Fields another type has and this one cannot."""
        shared = set.intersection(*(set(b.get("required", ())) for b in branches))
        self.needs = set(mine.get("required", ())) - shared
        """Fields this type needs and not every type does."""

    def _a(self) -> str:
        return f"{'an' if self.tag[:1] in 'aeiou' else 'a'} {self.tag} {self.noun}"

    def cannot(self, field: str) -> str:
        return f"{self._a()} cannot have {field!r}"

    def needs_field(self, field: str) -> str:
        return f"{self._a()} needs {field!r}"


def _report_tagged(ctx: Checker, name: str, root: dict[str, Any], err: Any, skip: set[Path_]) -> None:
    """An item of a tagged union: its tag's errors alone, or what is wrong with the tag."""
    path: Path_ = tuple(err.absolute_path)
    item = err.instance
    tag_field = err.schema["discriminator"]["propertyName"]
    mapping: dict[str, str] = err.schema["discriminator"]["mapping"]
    tag = item.get(tag_field) if isinstance(item, dict) else None
    branches = [_resolve(root, b) for b in err.schema["oneOf"]]
    if not isinstance(item, dict) or tag_field not in item:
        known = {p for b in branches for p in b.get("properties", {})}
        unknown = [k for k in item if k not in known] if isinstance(item, dict) else []
        guess = [k for k in unknown if closest(k, [tag_field]) is not None]
        if guess:
            message = f"unexpected field {guess[0]!r} (did you mean {tag_field!r}?)"
            ctx.error(name, (*path, guess[0]), message, key=True, code="unknown-field")
        else:
            ctx.error(name, path, f"missing required field {tag_field!r}", code="missing-field")
        return
    if not isinstance(tag, str) or tag not in mapping:
        message = f"{tag!r} is not one of {list(mapping)}" + (
            did_you_mean(tag, list(mapping)) if isinstance(tag, str) else ""
        )
        if (*path, tag_field) not in skip:
            ctx.error(name, (*path, tag_field), message, code="schema")
        return
    index = [b.get("$ref") for b in err.schema["oneOf"]].index(mapping[tag])
    container = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    noun, code = _KINDS.get(container, _Kind(noun="item", code="schema"))
    variant = _Variant(tag, noun, code, branches, index)
    mine = [e for e in err.context or [] if e.relative_schema_path and e.relative_schema_path[0] == index]
    _report(ctx, name, root, mine, skip, variant)


def _resolve(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A local ``$ref`` (``#/$defs/Name``) followed to the schema it names."""
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    return dict(target)


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
