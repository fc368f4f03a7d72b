"""The parts every assessment of one engine is assembled from, made once, and how they are picked.

Everything an answer set can select is built when the engine is built: the
result of every red flag, thermal rule and step; both trace entries of every
rule, and every part's JSON, are made when first read.  An assessment is
then a pick from these tuples by the booleans the generated ``decide``
returns (``kneeguide.results`` says how it stays a pydantic model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cached_property
from itertools import compress
from typing import Any

from pydantic import BaseModel

from .decision import URGENCY_NAMES
from .results import (
    _FIELDS_SET,
    _MADE,
    Assessment,
    GuidanceRef,
    RedFlagResult,
    StepResult,
    ThermalResult,
    TraceEntry,
    _new,
    _set,
)

__all__ = ["Parts"]


def _encoded(model: BaseModel) -> str:
    """``json.dumps(model.model_dump(mode="json"))`` of a flat result part.

    Every part is flat: strings, booleans and tuples of strings, which
    ``json.dumps`` writes exactly as pydantic's JSON mode dumps them, so the
    serializer is not built for it (a test compares the two for every part).
    """
    return json.dumps(model.__dict__)


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
        entries: Callable[[], Sequence[tuple[TraceEntry, TraceEntry]]],
        chosen: Callable[[], Sequence[TraceEntry]],
        masked: Callable[[int, int], TraceEntry],
        incomplete: Callable[[], str],
    ) -> None:
        self.ref, self.disclaimer = ref, disclaimer
        self.flags, self.thermal = tuple(flags), tuple(thermal)
        self.relief, self.prevention = tuple(relief), tuple(prevention)
        self._make_entries, self._make_chosen = entries, chosen
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
        self.head = '{"guidance": ' + _encoded(ref) + ', "urgency": '
        self.urgencies = tuple(json.dumps(u) for u in URGENCY_NAMES)
        self.tail = ', "disclaimer": ' + json.dumps(disclaimer) + "}"

    # The trace's entries and every part's JSON are made on first use: a
    # command that prints one text report needs neither, and making them
    # (a sentence per rule) is most of what building an engine costs.

    @cached_property
    def entries(self) -> tuple[tuple[TraceEntry, TraceEntry], ...]:
        """Each rule's trace entry when it does not fire and when it does, in ``rules()`` order."""
        return tuple(self._make_entries())

    @cached_property
    def chosen(self) -> tuple[TraceEntry, ...]:
        """Each thermal rule's trace entry when it decides, highest priority first."""
        return tuple(self._make_chosen())

    # The same parts, encoded as ``json.dumps`` writes them inside the whole result.

    @cached_property
    def flag_json(self) -> tuple[str, ...]:
        return tuple(_encoded(r) for r in self.flags)

    @cached_property
    def thermal_json(self) -> tuple[str, ...]:
        return tuple(_encoded(r) for r in self.thermal)

    @cached_property
    def relief_json(self) -> tuple[str, ...]:
        return tuple(_encoded(r) for r in self.relief)

    @cached_property
    def prevention_json(self) -> tuple[str, ...]:
        return tuple(_encoded(r) for r in self.prevention)

    @cached_property
    def entry_json(self) -> tuple[tuple[str, str], ...]:
        return tuple((_encoded(no), _encoded(yes)) for no, yes in self.entries)

    @cached_property
    def chosen_json(self) -> tuple[str, ...]:
        return tuple(_encoded(e) for e in self.chosen)

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


def _spaced(i: int, n: int, text: str) -> str:
    """The JSON of entry ``i`` of ``n`` as a list joins it: with the separator, unless it is the last."""
    return text if i == n - 1 else text + ", "
