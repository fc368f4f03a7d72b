"""What ``assess`` returns, and the parts it is assembled from, made once per engine.

Everything an answer set can select is built when the engine is built: the
result of every red flag, thermal rule and step, both trace entries of every
rule, and each of them already encoded as JSON.  An assessment is then a pick
from these tuples by the booleans the generated ``decide`` returns:

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
from collections.abc import Callable, Sequence
from functools import cached_property
from itertools import compress
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from .decision import URGENCY_NAMES

__all__ = [
    "Assessment",
    "GuidanceRef",
    "Parts",
    "RedFlagResult",
    "StepResult",
    "ThermalResult",
    "TraceEntry",
    "Urgency",
]

Urgency = Literal["self_care", "soon", "urgent", "emergency"]


class _Out(BaseModel):
    # Every field is always dumped, defaults too: the published schemas say so by requiring them.
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)


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


def _encoded(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"))


class Parts:
    """The immutable parts of every assessment of one engine, and how to pick them.

    ``fired`` is what ``decide`` returns (``Engine.outputs``, then whether
    the urgency is at least soon, urgent, emergency): red flags, the thermal
    rules' ``decides``, relief and prevention steps, the thermal rules'
    ``applies``, then the levels.
    """

    def __init__(
        self,
        *,
        ref: GuidanceRef,
        disclaimer: str,
        flags: Sequence[RedFlagResult],
        thermal: Sequence[ThermalResult],
        relief: Sequence[StepResult],
        prevention: Sequence[StepResult],
        entries: Sequence[tuple[TraceEntry, TraceEntry]],
        chosen: Sequence[TraceEntry],
        masked: Callable[[int, int], TraceEntry],
        incomplete: Callable[[], str],
    ) -> None:
        self.ref, self.disclaimer = ref, disclaimer
        self.flags, self.thermal = tuple(flags), tuple(thermal)
        self.relief, self.prevention = tuple(relief), tuple(prevention)
        self.entries, self.chosen = tuple(entries), tuple(chosen)
        self._masked_entry = masked
        self._incomplete = incomplete
        self._masked: dict[tuple[int, int], tuple[TraceEntry, str]] = {}
        n_flags, n_thermal, n_relief = len(self.flags), len(self.thermal), len(self.relief)
        n_steps = n_relief + len(self.prevention)
        self.n_flags = n_flags
        self.thermal_slice = slice(n_flags, n_flags + n_thermal)
        self.relief_slice = slice(n_flags + n_thermal, n_flags + n_thermal + n_relief)
        self.prevention_slice = slice(n_flags + n_thermal + n_relief, n_flags + n_thermal + n_steps)
        self.applies_start = n_flags + n_thermal + n_steps
        self.steps_slice = slice(n_flags + n_thermal, self.applies_start)
        self.level_slice = slice(self.applies_start + n_thermal, None)
        # The same parts, encoded as ``json.dumps`` writes them inside the whole result.
        self.head = '{"guidance": ' + _encoded(ref) + ', "urgency": '
        self.urgencies = tuple(json.dumps(u) for u in URGENCY_NAMES)
        self.tail = ', "disclaimer": ' + json.dumps(disclaimer) + "}"
        self.flag_json = tuple(_encoded(r) for r in self.flags)
        self.thermal_json = tuple(_encoded(r) for r in self.thermal)
        self.relief_json = tuple(_encoded(r) for r in self.relief)
        self.prevention_json = tuple(_encoded(r) for r in self.prevention)
        self.entry_json = tuple((_encoded(no), _encoded(yes)) for no, yes in self.entries)
        self.chosen_json = tuple(_encoded(e) for e in self.chosen)

    def winner(self, fired: tuple[bool, ...]) -> int:
        """The index, highest priority first, of the thermal rule that decides."""
        first = self.thermal_slice.start
        try:
            return fired.index(True, first, self.thermal_slice.stop) - first
        except ValueError:  # validate makes this impossible; content built in memory may not be
            raise RuntimeError(self._incomplete()) from None

    def assessment(self, fired: tuple[bool, ...]) -> Assessment:
        """The assessment for ``fired``; its trace is filled in when first read."""
        winner = self.winner(fired)
        m = _new(Assessment)
        _set(
            m,
            "__dict__",
            {
                "guidance": self.ref,
                "urgency": URGENCY_NAMES[sum(fired[self.level_slice])],
                "red_flags": tuple(compress(self.flags, fired)),
                "thermal": self.thermal[winner],
                "relief": tuple(compress(self.relief, fired[self.relief_slice])),
                "prevention": tuple(compress(self.prevention, fired[self.prevention_slice])),
                "disclaimer": self.disclaimer,
                _MADE: (self, fired, winner),
            },
        )
        # The four attributes pydantic's own ``model_construct`` sets; a test
        # round-trips results through ``model_validate``.
        _set(m, "__pydantic_fields_set__", _FIELDS_SET)
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m

    def _masked_pair(self, j: int, winner: int) -> tuple[TraceEntry, str]:
        """The entry of thermal rule ``j`` that applies but lost to ``winner``, built on first use.

        With its JSON as the trace joins it (``_layout``).  It depends on the
        pair of rules, so building them ahead would be quadratic in the
        number of thermal rules.
        """
        pair = self._masked.get((j, winner))
        if pair is None:
            entry = self._masked_entry(j, winner)
            encoded = _spaced(self.n_flags + j, len(self.entries), _encoded(entry))
            pair = self._masked[j, winner] = (entry, encoded)
        return pair

    @cached_property
    def _layout(self) -> tuple[tuple[tuple[Any, ...], tuple[Any, ...]], ...]:
        """For the entries, then for their JSON: the trace when nothing fires, and what firing puts in.

        What firing puts in is in the order of ``fired``: a red flag's or
        step's fired entry, a thermal rule's chosen entry.  Each JSON but the
        last ends in the ``", "`` that separates it from the next, so the
        whole result is one join of few parts.
        """
        n_flags, after, n = self.n_flags, self.steps_slice.start, len(self.entries)
        layouts: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []
        pairs: Sequence[tuple[Any, Any]]
        for pairs, chosen in ((self.entries, self.chosen), (self.entry_json, self.chosen_json)):
            hits = (*(yes for _, yes in pairs[:n_flags]), *chosen, *(yes for _, yes in pairs[after:]))
            layouts.append((tuple(no for no, _ in pairs), hits))
        unfired, hits = (tuple(_spaced(i, n, text) for i, text in enumerate(p)) for p in layouts[1])
        return layouts[0], (unfired, hits)

    def _trace(self, fired: tuple[bool, ...], winner: int, which: int) -> list[Any]:
        """Every rule's trace entry (``which`` 0), or their JSON (``which`` 1), in ``Guidance.rules()`` order.

        The trace of nothing fired, with only what fired put in: the fired
        red flags and steps, the thermal rule that decides and the rules
        below it that apply too, masked by it.  So past a copy of the
        layout, the work is in the rules that fire.
        """
        unfired, hits = self._layout[which]
        out = list(unfired)
        for i in compress(range(self.applies_start), fired):
            out[i] = hits[i]
        first, n_thermal = self.applies_start, len(self.thermal)
        masked = fired[first + winner + 1 : first + n_thermal]
        for j in compress(range(winner + 1, n_thermal), masked):
            out[self.n_flags + j] = self._masked_pair(j, winner)[which]
        return out

    def trace(self, fired: tuple[bool, ...], winner: int) -> tuple[TraceEntry, ...]:
        """Every rule's trace entry, in ``Guidance.rules()`` order."""
        return tuple(self._trace(fired, winner, 0))

    def json(self, fired: tuple[bool, ...], winner: int) -> str:
        """``json.dumps`` of the assessment's ``model_dump(mode="json")``, joined from encoded parts."""
        parts = [
            self.head,
            self.urgencies[sum(fired[self.level_slice])],
            ', "red_flags": [',
            ", ".join(compress(self.flag_json, fired)),
            '], "thermal": ',
            self.thermal_json[winner],
            ', "relief": [',
            ", ".join(compress(self.relief_json, fired[self.relief_slice])),
            '], "prevention": [',
            ", ".join(compress(self.prevention_json, fired[self.prevention_slice])),
            '], "trace": [',
        ]
        parts += self._trace(fired, winner, 1)
        parts += ("]", self.tail)
        return "".join(parts)


_new = object.__new__
_set = object.__setattr__


def _spaced(i: int, n: int, text: str) -> str:
    """The JSON of entry ``i`` of ``n`` as a list joins it: with the separator, unless it is the last."""
    return text if i == n - 1 else text + ", "
