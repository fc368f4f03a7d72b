"""The loaded guidance: typed content plus the parsed condition of every rule.

A ``Guidance`` is immutable once loaded.  It compiles its decision function
the first time ``assess`` is called and keeps it, so vendors pay for parsing
and compilation once per process, not per request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .conditions import Condition, QuestionSpec
from .figures import Pose
from .models import (
    Conflict,
    Invariant,
    Metadata,
    Question,
    RedFlag,
    Source,
    Step,
    ThermalRule,
)

if TYPE_CHECKING:
    from .adaptive import Interview
    from .decision import DecisionModel
    from .engine import Assessment, Engine
    from .localisation.core import Localisation

__all__ = ["Guidance", "Rule"]


@dataclass(frozen=True)
class Rule:
    """Any item with a condition, as the engine, verifier and exporters see it.

    ``kind`` is one of ``red_flag``, ``thermal``, ``relief``, ``prevention``.
    """

    id: str
    kind: str
    condition: Condition
    item: RedFlag | ThermalRule | Step


@dataclass(frozen=True, eq=False)
class Guidance:
    """One guideline, validated and ready to assess, verify and export."""

    folder: Path
    metadata: Metadata
    questions: tuple[Question, ...]
    red_flags: tuple[RedFlag, ...]
    hit_policy: str
    thermal_rules: tuple[ThermalRule, ...]
    relief: tuple[Step, ...]
    prevention: tuple[Step, ...]
    sources: Mapping[str, Source]
    invariants: tuple[Invariant, ...]
    hazards: tuple[Any, ...]
    conflicts: tuple[Conflict, ...]
    ask_order: tuple[str, ...]
    """Question ids in the order an interview asks them (warning signs first)."""
    conditions: Mapping[str, Condition]
    """The resolved condition tree of every red flag, rule, step and invariant."""
    source_conditions: Mapping[str, Condition]
    """The same trees before ``red_flag(...)`` references were expanded."""
    data: Mapping[str, Any]
    """The raw content of each file, keyed by file name (for exports and diffs)."""
    digest: str
    """The digest of the content in every locale (a localised copy keeps it)."""
    locale: str = ""
    """The BCP 47 locale every string is in (``en-GB``); see ``localized``."""
    ui: Mapping[str, str] = field(default_factory=dict)
    """The program's own words in this locale, by key (``ui.yaml``), e.g. ``report.sources``."""
    localisation: Localisation | None = field(default=None, repr=False)
    """The regions and translations, so any copy can give any shipped locale."""
    poses: Mapping[str, Pose] = field(default_factory=dict)
    """The figures' poses by id (``figures.yaml``; empty for a guide without pictures)."""
    # Caches, not content: ``dataclasses.replace`` gives a copy fresh ones.
    _engine: list[Engine] = field(default_factory=list, init=False, repr=False)
    _decisions: list[DecisionModel] = field(default_factory=list, init=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the content, not the compiled functions: a copy rebuilds them on first use."""
        state = dict(self.__dict__)
        state["_engine"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def locales(self) -> tuple[str, ...]:
        """Every shipped locale, the default first."""
        return self.localisation.locales if self.localisation is not None else (self.locale,)

    def localized(self, locale: str) -> Guidance:
        """This guidance in another shipped locale (BCP 47, e.g. ``en-US``), built once per locale.

        Raises ``LocaleError`` (a ``ValueError``) for a locale that is not shipped.
        """
        from .localisation.core import localize

        return self if locale == self.locale else localize(self, locale)

    def words(self, key: str, **params: object) -> str:
        """The UI string ``key`` in this locale with ``{params}`` filled in."""
        from .localisation.texts import fill

        return fill(self.ui[key], {k: str(v) for k, v in params.items()})

    @property
    def question_specs(self) -> dict[str, QuestionSpec]:
        return {q.id: spec_of(q) for q in self.questions}

    def thermal_by_priority(self) -> tuple[ThermalRule, ...]:
        """Thermal rules, highest priority first (the order they are tried)."""
        return tuple(sorted(self.thermal_rules, key=lambda r: -r.priority))

    def rules(self) -> Iterator[Rule]:
        """Every selectable item in a stable order: red flags, thermal, relief, prevention."""
        for rf in self.red_flags:
            yield Rule(rf.id, "red_flag", self.conditions[rf.id], rf)
        for tr in self.thermal_by_priority():
            yield Rule(tr.id, "thermal", self.conditions[tr.id], tr)
        for kind, steps in (("relief", self.relief), ("prevention", self.prevention)):
            for st in steps:
                yield Rule(st.id, kind, self.conditions[st.id], st)

    @property
    def decisions(self) -> DecisionModel:
        """The decision model every backend reads (built on first use, then kept)."""
        if not self._decisions:
            from .decision import build

            self._decisions.append(build(self))
        return self._decisions[0]

    @property
    def engine(self) -> Engine:
        if not self._engine:
            from .engine import Engine

            self._engine.append(Engine(self))
        return self._engine[0]

    def assess(self, answers: Mapping[str, object]) -> Assessment:
        """Assess one person's answers (contracts.md section 3).

        Raises ``AnswersError`` listing every bad, unknown or missing answer.
        """
        return self.engine.assess(answers)

    def assess_json(self, answers: Mapping[str, object]) -> str:
        """``json.dumps(self.assess(answers).model_dump(mode="json"))``, from parts encoded ahead.

        What a service sends: the same bytes, without building the trace's objects.
        """
        return self.engine.assess_json(answers)

    def interview(self, answers: Mapping[str, object]) -> Interview:
        """Where an interview stands after a partial answer set (see ``kneeguide.interview``).

        Raises ``AnswersError`` for wrong types, unknown ids and out-of-range
        values, exactly as ``assess`` does; unanswered questions are allowed.
        """
        from .adaptive import interview

        return interview(self, answers)


def spec_of(q: Question) -> QuestionSpec:
    return QuestionSpec(
        id=q.id,
        type=q.type,
        minimum=q.minimum,
        maximum=q.maximum,
        choices=tuple(c.code for c in q.choices or ()),
        label=q.subject or q.text,
    )
