"""What ``assess`` returns: pydantic models, assembled from parts made once per engine.

Everything an answer set can select is built with the engine
(``kneeguide.result_parts``): the result of every red flag, thermal rule and
step, and, when first read, both trace entries of every rule and the JSON
of each.  An assessment is then a pick from these tuples by the booleans the
generated ``decide`` returns:

* the red flags, relief and prevention steps that fire are taken with
  ``itertools.compress``, the thermal result by its index: what is built per
  call is proportional to what fires;
* the trace, which lists every rule, is not built at all until it is read:
  ``Assessment.trace``, ``model_dump``, equality, ``repr``, pickling and
  copying fill it in first, so it looks like any other field;
* ``Assessment.to_json()`` joins the encoded parts without building the
  trace's objects, giving exactly ``json.dumps(a.model_dump(mode="json"))``
  (a test compares the two on every vignette and thousands of answer sets).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

__all__ = [
    "Assessment",
    "GuidanceRef",
    "RedFlagResult",
    "StepResult",
    "ThermalResult",
    "TraceEntry",
    "Urgency",
]

Urgency = Literal["self_care", "soon", "urgent", "emergency"]
_M = TypeVar("_M", bound=BaseModel)


class _Out(BaseModel):
    # Every field is always dumped, defaults too: the published schemas say so by requiring them.
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True, defer_build=True)


class GuidanceRef(_Out):
    id: str
    version: str
    digest: str
    locale: str = "en-GB"
    """The locale every text of the result is in (the digest covers every locale)."""


class RedFlagResult(_Out):
    id: str
    urgency: Urgency
    title: str
    advice: str
    sources: tuple[str, ...]
    out_of_scope: bool = False


class ThermalResult(_Out):
    advice: Literal["ice", "heat", "none"]
    rule: str
    title: str
    instructions: str
    cautions: tuple[str, ...]
    sources: tuple[str, ...]


class StepResult(_Out):
    id: str
    title: str
    text: str
    how_to: tuple[str, ...]
    sources: tuple[str, ...]


class TraceEntry(_Out):
    rule: str
    kind: Literal["red_flag", "thermal", "relief", "prevention"]
    fired: bool
    why: str


_MADE = "_made"
"""The key, in an assembled assessment's ``__dict__``, of what it was made from (no field)."""


class Assessment(_Out):
    """The result of ``assess``; ``model_dump(mode="json")`` follows contracts.md section 3."""

    guidance: GuidanceRef
    urgency: Urgency
    red_flags: tuple[RedFlagResult, ...]
    thermal: ThermalResult
    relief: tuple[StepResult, ...]
    prevention: tuple[StepResult, ...]
    trace: tuple[TraceEntry, ...]
    disclaimer: str

    @property
    def shown_red_flags(self) -> tuple[RedFlagResult, ...]:
        """The fired red flags a person is shown, most urgent first.

        In an emergency only the emergency ones: the person is to act now,
        and a "see a clinician within a few days" beside "call now" only
        distracts (``red_flags`` still lists every flag that fired, for apps
        and clinicians).
        """
        order = ("emergency", "urgent", "soon", "self_care")
        flags = sorted(self.red_flags, key=lambda f: order.index(f.urgency))
        if self.urgency == "emergency":
            return tuple(f for f in flags if f.urgency == "emergency")
        return tuple(flags)

    def to_json(self) -> str:
        """Exactly ``json.dumps(self.model_dump(mode="json"))``, from parts encoded ahead."""
        made = self.__dict__.get(_MADE)
        if made is None:
            return json.dumps(self.model_dump(mode="json"))
        parts, fired, winner = made
        text: str = parts.json(fired, winner)
        return text

    def _complete(self) -> Assessment:
        """Fill in the trace of an assembled assessment, keeping the fields in order."""
        values = self.__dict__
        if "trace" not in values:
            parts, fired, winner = values[_MADE]
            done = {name: values[name] for name in _BEFORE_TRACE}
            done["trace"] = parts.trace(fired, winner)
            done["disclaimer"] = values["disclaimer"]
            done[_MADE] = values[_MADE]
            object.__setattr__(self, "__dict__", done)
        return self

    # No return type: pydantic then describes the output by the fields, as without this hook.
    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        return handler(self._complete())

    if not TYPE_CHECKING:  # for mypy, ``trace`` is the field it is

        def __getattr__(self, name: str) -> Any:
            if name == "trace" and _MADE in self.__dict__:
                return self._complete().__dict__["trace"]
            return super().__getattr__(name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Assessment):
            other._complete()
        return super(Assessment, self._complete()).__eq__(other)

    def __hash__(self) -> int:
        return super(Assessment, self._complete()).__hash__()

    def __repr_args__(self) -> Any:
        return super(Assessment, self._complete()).__repr_args__()

    def __iter__(self) -> Any:
        return super(Assessment, self._complete()).__iter__()

    def __getstate__(self) -> dict[Any, Any]:
        state = super(Assessment, self._complete()).__getstate__()
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k != _MADE}
        return state

    def __copy__(self) -> Assessment:
        return self.model_construct(**self._fields())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Assessment:
        import copy

        return self.model_construct(**copy.deepcopy(self._fields(), memo))

    def _fields(self) -> dict[str, Any]:
        values = self._complete().__dict__
        return {k: v for k, v in values.items() if k != _MADE}


_BEFORE_TRACE = ("guidance", "urgency", "red_flags", "thermal", "relief", "prevention")
_FIELDS_SET = frozenset(Assessment.model_fields)


def trusted(cls: type[_M], **fields: Any) -> _M:
    """A result part built from content that validate already checked, without validating again.

    Pydantic would build each result model's validator on first use, which
    costs a cold ``kneeguide assess`` more than everything it does; the
    engine only ever passes the exact types (``str``, ``bool``, tuples), so
    these parts equal validated ones, field for field (a test compares
    them).  Fields are set in declaration order, as validation sets them.
    """
    m = _new(cls)
    _set(m, "__dict__", {name: fields[name] for name in cls.model_fields})
    _set(m, "__pydantic_fields_set__", set(cls.model_fields))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


_new = object.__new__
_set = object.__setattr__
