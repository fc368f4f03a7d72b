"""Validated guidance as compact JSON, and back, without validating it again.

Checking a guidance folder reads YAML with positions, runs JSON Schema and
pydantic, then every semantic check: hundreds of milliseconds, which only
``kneeguide validate`` needs to spend.  Once content has passed, everything a
``Guidance`` holds can be written as plain JSON: the raw content of each file
(from which the typed models are rebuilt), the parsed condition trees and the
content digest.  Reading that back takes about a millisecond.

The form is data only: JSON, never pickle, and condition nodes are rebuilt
from a fixed table of node types, so reading a compact form runs no code from
it.  It is trusted only as far as its digest: ``restore`` recomputes the
digest of the content it carries and refuses a form whose digest differs, or
whose format or kneeguide version is not this one's.  The typed models are
rebuilt with ``model_construct`` (the content was validated when the form was
written), so the content models' validators are never even built.

A test rebuilds the shipped guidance and generated variants both ways and
compares every field, condition and result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import KneeguideError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .conditions import Condition
    from .guidance import Guidance
    from .localisation.core import Localisation

__all__ = ["FORMAT", "CompactError", "canonical_json", "content_digest", "dumps", "restore"]

FORMAT = "kneeguide-compact/1"
"""The name and version of this form; a form of another version is refused, not guessed at."""


class CompactError(KneeguideError, ValueError):
    """A compact form that cannot be trusted: another format or version, or a wrong digest."""


def canonical_json(data: Any) -> bytes:
    """The canonical byte form of content, used for the digest and for diffs."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_digest(data: Any) -> str:
    """The content digest every result and export names (``Guidance.digest``)."""
    return "sha256:" + hashlib.sha256(canonical_json(data)).hexdigest()


# --- condition trees as JSON ------------------------------------------------------------


def _node_types() -> dict[str, tuple[type[Any], tuple[str, ...]]]:
    """Every node type a form may name, with its fields in order: nothing else is built."""
    from . import conditions as c

    kinds = (c.Const, c.Flag, c.Compare, c.OneOf, c.RedFlagRef, c.Ref, c.Not, c.And, c.Or)
    return {t.__name__: (t, tuple(f.name for f in dataclasses.fields(t))) for t in kinds}


def _encode_tree(node: Condition) -> list[Any]:
    """``[type, field...]`` in the dataclass's field order, the position included."""
    out: list[Any] = [type(node).__name__]
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if f.name == "operand":
            value = _encode_tree(value)
        elif f.name == "operands":
            value = [_encode_tree(c) for c in value]
        elif isinstance(value, tuple):
            value = list(value)
        out.append(value)
    return out


def _decode_tree(raw: Any, kinds: Mapping[str, tuple[type[Any], tuple[str, ...]]]) -> Condition:
    if not isinstance(raw, list) or not raw or raw[0] not in kinds:
        raise CompactError(f"not a condition node: {str(raw)[:80]}")
    kind, names = kinds[raw[0]]
    if len(raw) != len(names) + 1:
        raise CompactError(f"a {raw[0]} node needs {len(names)} fields")
    values: list[Any] = []
    for name, value in zip(names, raw[1:], strict=True):
        if name == "operand":
            value = _decode_tree(value, kinds)
        elif name == "operands":
            value = tuple(_decode_tree(c, kinds) for c in value)
        elif isinstance(value, list):
            value = tuple(value)
        values.append(value)
    node: Condition = kind(*values)
    return node


# --- typed models from validated data ---------------------------------------------------


def _construct(model: type[BaseModel], data: Mapping[str, Any]) -> Any:
    """The model for data that already passed its validation, built field by field.

    Does what validation does to valid data, nothing more: nested models are
    built, ISO dates become ``date``, whole numbers in float fields become
    floats, and missing fields take their defaults; the fields given are the
    fields set, as after ``model_validate``.  It sets the same four attributes
    pydantic's ``model_construct`` sets, from a plan made once per model
    (``model_construct`` inspects every default factory on every call).
    """
    plan = _plans.get(model) or _plan(model)
    values: dict[str, Any] = {}
    given = set()
    for name, convert, default in plan:
        if name in data:
            value = data[name]
            values[name] = value if convert is None or value is None else convert(value)
            given.add(name)
        else:
            values[name] = default()
    m = model.__new__(model)
    object.__setattr__(m, "__dict__", values)
    object.__setattr__(m, "__pydantic_fields_set__", given)
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


_Convert = Callable[[Any], Any] | None
_plans: dict[type[Any], list[tuple[str, _Convert, Callable[[], Any]]]] = {}


def _plan(model: type[BaseModel]) -> list[tuple[str, _Convert, Callable[[], Any]]]:
    plan = []
    for name, info in model.model_fields.items():
        factory: Any = info.default_factory  # the models' factories take no arguments
        default: Callable[[], Any] = factory if factory is not None else _constant(info.default)
        plan.append((name, _converter(info.annotation), default))
    _plans[model] = plan
    return plan


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _converter(annotation: Any) -> _Convert:
    """How to turn valid JSON data into the value validation gives, or None when it is the same."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        tag = next(
            (m.discriminator for m in metadata if isinstance(getattr(m, "discriminator", None), str)), None
        )
        return _converter(inner) if tag is None else _tagged(inner, tag)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _converter(options[0]) if len(options) == 1 else None
    if origin is list:
        (item,) = typing.get_args(annotation)
        each = _converter(item)
        return None if each is None else (lambda v: [each(x) for x in v])
    if isinstance(annotation, type):
        from pydantic import BaseModel

        if issubclass(annotation, BaseModel):
            model = annotation
            return lambda v: _construct(model, v)
        if annotation is dt.date:
            return lambda v: dt.date.fromisoformat(v) if isinstance(v, str) else v
        if annotation is float:
            return lambda v: float(v) if type(v) is int else v
    return None


def _tagged(union: Any, tag: str) -> _Convert:
    """A tagged union of models (``Question``): the model its tag names builds each value."""
    models: dict[str, Any] = {}
    for model in typing.get_args(union):
        (value,) = typing.get_args(model.model_fields[tag].annotation)  # the model's Literal tag
        models[value] = model
    return lambda v: _construct(models[v[tag]], v)


# --- the form -------------------------------------------------------------------------


def dumps(guidance: Guidance) -> bytes:
    """The compact form of validated ``guidance`` (UTF-8 JSON)."""
    g = guidance
    form = {
        "format": FORMAT,
        "kneeguide": __version__,
        "digest": g.digest,
        "data": dict(g.data),
        "conditions": [[k, _encode_tree(v)] for k, v in g.conditions.items()],
        "source_conditions": [[k, _encode_tree(v)] for k, v in g.source_conditions.items()],
        "localisation": _encode_localisation(g.localisation),
    }
    return json.dumps(form, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def restore(blob: bytes, folder: Path, *, digest: str | None = None) -> Guidance:
    """The ``Guidance`` in a compact form, found at (or standing for) ``folder``.

    Raises ``CompactError`` when the form is of another format or kneeguide
    version, is malformed, or its content does not have its digest (or the
    ``digest`` the caller expects).
    """
    try:
        form = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompactError(f"not JSON: {exc}") from None
    if not isinstance(form, dict) or form.get("format") != FORMAT:
        raise CompactError(f"not a {FORMAT} form")
    if form.get("kneeguide") != __version__:
        raise CompactError(f"written by kneeguide {form.get('kneeguide')}, this is {__version__}")
    data = form.get("data")
    if not isinstance(data, dict):
        raise CompactError("carries no content")
    actual = content_digest(data)
    if actual != form.get("digest") or (digest is not None and actual != digest):
        raise CompactError(f"the content's digest is {actual}, not {digest or form.get('digest')}")
    try:
        return _guidance(form, data, folder, actual)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CompactError(f"malformed: {type(exc).__name__}: {exc}") from None


def _guidance(form: Mapping[str, Any], data: dict[str, Any], folder: Path, digest: str) -> Guidance:
    from .guidance import Guidance
    from .models import FILES

    files = {name: _construct(model, data[name]) for name, model in FILES.items() if name in data}
    figures = files.get("figures.yaml")
    kinds = _node_types()
    thermal = files["thermal.yaml"]
    loc = _decode_localisation(form["localisation"])
    source = Guidance(
        folder=folder,
        metadata=files["guideline.yaml"].guideline,
        questions=tuple(files["questions.yaml"].questions),
        red_flags=tuple(files["red_flags.yaml"].red_flags),
        hit_policy=thermal.hit_policy,
        thermal_rules=tuple(thermal.rules),
        relief=tuple(files["relief.yaml"].steps),
        prevention=tuple(files["prevention.yaml"].steps),
        sources={s.id: s for s in files["sources.yaml"].sources},
        invariants=tuple(files["invariants.yaml"].invariants),
        hazards=tuple(files["hazards.yaml"].hazards),
        conflicts=tuple(files["conflicts.yaml"].conflicts),
        ask_order=tuple(files["questions.yaml"].ask_order),
        conditions={k: _decode_tree(v, kinds) for k, v in form["conditions"]},
        source_conditions={k: _decode_tree(v, kinds) for k, v in form["source_conditions"]},
        data=data,
        digest=digest,
        poses={p.id: p for p in figures.poses} if figures is not None else {},
        localisation=loc,
    )
    # As the checker gives it: the content in its default locale.
    return source if loc is None else source.localized(loc.default_locale)


def _encode_localisation(loc: Localisation | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {
        "source_language": loc.source_language,
        "default_region": loc.default_region,
        "source": dict(loc.source),
        "regions": {k: dict(v) for k, v in loc.regions.items()},
        "spelling": {k: dict(v) for k, v in loc.spelling.items()},
        "region_names": dict(loc.region_names),
        "translations": [dataclasses.asdict(t) for t in loc.translations.values()],
        "ui_params": {k: list(v) for k, v in loc.ui_params.items()},
    }


def _decode_localisation(raw: Any) -> Localisation | None:
    from .localisation.core import Localisation, Translation

    if raw is None:
        return None
    translations = {}
    for t in raw["translations"]:
        translations[t["language"]] = Translation(**{**t, "regions": tuple(t["regions"])})
    return Localisation(
        source_language=raw["source_language"],
        default_region=raw["default_region"],
        source=dict(raw["source"]),
        regions={k: dict(v) for k, v in raw["regions"].items()},
        spelling={k: dict(v) for k, v in raw["spelling"].items()},
        region_names=dict(raw["region_names"]),
        translations=translations,
        ui_params={k: tuple(v) for k, v in raw["ui_params"].items()},
    )
