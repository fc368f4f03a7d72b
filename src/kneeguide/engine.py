"""Assess one person's answers: strict input checks, compiled rules, sourced advice.

Semantics (also in docs/semantics.md):

* Answers are checked strictly.  No coercion: ``"yes"`` is not ``true`` and
  ``"40"`` is not ``40``.  Unknown ids, wrong types, values out of range,
  choices not in the list and missing required answers are all collected and
  raised together as one ``AnswersError``.  So an unknown answer can never
  lead to a self-care result.
* Urgency is the highest urgency of the red flags that fired, ``self_care``
  when none fired.
* Thermal advice is exactly one of ice, heat, none: of the thermal rules whose
  condition holds, the one with the highest priority decides (priorities are
  unique, so the order of rules in the file does not matter).  Red flags that
  forbid ice or heat do so through high-priority rules in the content.
* Relief and prevention steps are every step whose condition holds, in file
  order.

Every condition is compiled once, when the engine is built, into one Python
function generated from the condition trees (``renderers.to_python``).  Only
integers and quoted identifiers enter the generated source, never content
text, so compiling it runs no content.  A call to ``assess`` then costs a few
microseconds: check the answers, call the function, pick precomputed results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .guidance import Guidance
from .models import URGENCIES, Step
from .renderers import to_english, to_python

__all__ = [
    "AnswerProblem",
    "AnswersError",
    "Assessment",
    "Engine",
    "RedFlagResult",
    "StepResult",
    "ThermalResult",
    "TraceEntry",
]

Urgency = Literal["self_care", "soon", "urgent", "emergency"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class GuidanceRef(_Out):
    id: str
    version: str
    digest: str


class RedFlagResult(_Out):
    id: str
    urgency: Urgency
    title: str
    advice: str
    sources: list[str]


class ThermalResult(_Out):
    advice: Literal["ice", "heat", "none"]
    rule: str
    title: str
    instructions: str
    cautions: list[str]
    sources: list[str]


class StepResult(_Out):
    id: str
    title: str
    text: str
    how_to: list[str]
    sources: list[str]


class TraceEntry(_Out):
    rule: str
    kind: Literal["red_flag", "thermal", "relief", "prevention"]
    fired: bool
    why: str


class Assessment(_Out):
    """The result of ``assess``; ``model_dump(mode="json")`` follows contracts.md section 3."""

    guidance: GuidanceRef
    urgency: Urgency
    red_flags: list[RedFlagResult]
    thermal: ThermalResult
    relief: list[StepResult]
    prevention: list[StepResult]
    trace: list[TraceEntry]
    disclaimer: str


class AnswerProblem(_Out):
    """One bad answer: which question, and what is wrong with it."""

    field: str
    message: str


class AnswersError(ValueError):
    """The answers were refused; ``problems`` names every offending field."""

    def __init__(self, problems: Sequence[AnswerProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "the answers were refused:\n" + "\n".join(f"  {p.field}: {p.message}" for p in self.problems)
        )


class Engine:
    """The compiled form of one ``Guidance``."""

    def __init__(self, guidance: Guidance) -> None:
        g = guidance
        self.guidance = g
        self.ref = GuidanceRef(id=g.id, version=g.version, digest=g.digest)
        self._questions = {q.id: q for q in g.questions}
        self._required = frozenset(q.id for q in g.questions if q.required)
        self._optional = tuple(q.id for q in g.questions if not q.required)
        self._checks: dict[str, Callable[[object], str | None]] = {
            q.id: _checker(q.type, q.minimum, q.maximum, [c.code for c in q.choices or ()])
            for q in g.questions
        }
        titles = {rf.id: rf.title for rf in g.red_flags}

        def english(item_id: str) -> str:
            return to_english(g.source_conditions[item_id], self._questions, titles)

        self._flags = [
            (
                URGENCIES.index(rf.urgency),
                RedFlagResult(
                    id=rf.id,
                    urgency=rf.urgency,
                    title=rf.title,
                    advice=rf.advice,
                    sources=list(rf.sources),
                ),
                TraceEntry(rule=rf.id, kind="red_flag", fired=True, why=f"fired: {english(rf.id)}"),
                TraceEntry(
                    rule=rf.id, kind="red_flag", fired=False, why=f"not fired: needs {english(rf.id)}"
                ),
            )
            for rf in g.red_flags
        ]
        ordered = g.thermal_by_priority()
        self._thermal: list[tuple[ThermalResult, TraceEntry, TraceEntry, str]] = []
        for tr in ordered:
            sources = list(dict.fromkeys([*tr.sources, *(s for c in tr.cautions for s in c.sources)]))
            result = ThermalResult(
                advice=tr.advice,
                rule=tr.id,
                title=tr.title,
                instructions=tr.instructions,
                cautions=[c.text for c in tr.cautions],
                sources=sources,
            )
            chosen = TraceEntry(
                rule=tr.id,
                kind="thermal",
                fired=True,
                why=f"chosen ({tr.advice}, priority {tr.priority}): {english(tr.id)}",
            )
            unmet = TraceEntry(
                rule=tr.id, kind="thermal", fired=False, why=f"does not apply: needs {english(tr.id)}"
            )
            self._thermal.append(
                (result, chosen, unmet, f"applies ({english(tr.id)}) but a rule of higher priority, ")
            )
        self._steps: list[list[tuple[StepResult, TraceEntry, TraceEntry]]] = []
        kinds: tuple[tuple[Literal["relief", "prevention"], tuple[Step, ...]], ...] = (
            ("relief", g.relief),
            ("prevention", g.prevention),
        )
        for kind, steps in kinds:
            self._steps.append([_step_entry(st, kind, english(st.id)) for st in steps])
        self._decide = self._compile([rule.condition for rule in g.rules()])
        self._n_flags = len(g.red_flags)
        self._n_thermal = len(ordered)
        self._n_relief = len(g.relief)

    def _compile(self, conditions: Sequence[Any]) -> Callable[[Mapping[str, object]], tuple[bool, ...]]:
        names = {qid: f"v{i}" for i, qid in enumerate(self._questions)}
        lines = ["def decide(a):"]
        for qid, var in names.items():
            getter = f"a.get({qid!r}, False)" if qid in self._optional else f"a[{qid!r}]"
            lines.append(f"    {var} = {getter}")
        body = ",\n        ".join(to_python(c, names.__getitem__) for c in conditions)
        lines.append(f"    return (\n        {body},\n    )")
        namespace: dict[str, Any] = {}
        code = compile("\n".join(lines), f"<kneeguide rules {self.guidance.id}>", "exec")
        exec(code, {"__builtins__": {}}, namespace)  # generated from the trees: see module docstring
        decide: Callable[[Mapping[str, object]], tuple[bool, ...]] = namespace["decide"]
        return decide

    def check(self, answers: object) -> list[AnswerProblem]:
        """Every problem with ``answers``; empty when they may be assessed."""
        if not isinstance(answers, Mapping):
            return [
                AnswerProblem(
                    field="(answers)", message=f"expected an object of answers, got {type(answers).__name__}"
                )
            ]
        problems = []
        checks = self._checks
        for key, value in answers.items():
            check = checks.get(key)
            if check is None:
                problems.append(AnswerProblem(field=str(key), message="unknown question id"))
                continue
            message = check(value)
            if message is not None:
                problems.append(AnswerProblem(field=key, message=message))
        missing = self._required.difference(answers)
        for key in sorted(missing):
            problems.append(AnswerProblem(field=key, message="missing: this question must be answered"))
        return problems

    def assess(self, answers: Mapping[str, object]) -> Assessment:
        problems = self.check(answers)
        if problems:
            raise AnswersError(problems)
        fired = self._decide(answers)
        n_flags, n_thermal, n_relief = self._n_flags, self._n_thermal, self._n_relief
        trace: list[TraceEntry] = []
        red_flags: list[RedFlagResult] = []
        level = 0
        for (rank, flag_result, yes, no), hit in zip(self._flags, fired, strict=False):
            if hit:
                red_flags.append(flag_result)
                trace.append(yes)
                level = max(level, rank)
            else:
                trace.append(no)
        thermal: ThermalResult | None = None
        for (rule_result, chosen, unmet, masked), hit in zip(
            self._thermal, fired[n_flags : n_flags + n_thermal], strict=True
        ):
            if not hit:
                trace.append(unmet)
            elif thermal is None:
                thermal = rule_result
                trace.append(chosen)
            else:
                trace.append(
                    TraceEntry(
                        rule=rule_result.rule,
                        kind="thermal",
                        fired=False,
                        why=f"{masked}{thermal.rule!r}, decides",
                    )
                )
        if thermal is None:
            raise RuntimeError(
                f"no thermal rule applies to these answers in {self.guidance.id} "
                f"{self.guidance.version}: the content is incomplete (run kneeguide verify)"
            )
        lists: list[list[StepResult]] = [[], []]
        offset = n_flags + n_thermal
        for which, entries in enumerate(self._steps):
            start = offset + (0 if which == 0 else n_relief)
            for (step_result, yes, no), hit in zip(entries, fired[start : start + len(entries)], strict=True):
                if hit:
                    lists[which].append(step_result)
                    trace.append(yes)
                else:
                    trace.append(no)
        return Assessment.model_construct(
            guidance=self.ref,
            urgency=URGENCIES[level],
            red_flags=red_flags,
            thermal=thermal,
            relief=lists[0],
            prevention=lists[1],
            trace=trace,
            disclaimer=self.guidance.metadata.disclaimer,
        )


def _step_entry(
    st: Step, kind: Literal["relief", "prevention"], english: str
) -> tuple[StepResult, TraceEntry, TraceEntry]:
    result = StepResult(
        id=st.id, title=st.title, text=st.text, how_to=list(st.how_to), sources=list(st.sources)
    )
    return (
        result,
        TraceEntry(rule=st.id, kind=kind, fired=True, why=f"selected: {english}"),
        TraceEntry(rule=st.id, kind=kind, fired=False, why=f"not selected: needs {english}"),
    )


def _checker(
    kind: str, lo: int | None, hi: int | None, choices: Sequence[str]
) -> Callable[[object], str | None]:
    """A fast check for one question's answer: ``None`` when fine, else why not."""
    if kind == "boolean":

        def check_bool(v: object) -> str | None:
            return None if v is True or v is False else f"expected true or false, got {_show(v)}"

        return check_bool
    if kind == "integer":
        low = lo if lo is not None else -(2**63)
        high = hi if hi is not None else 2**63

        def check_int(v: object) -> str | None:
            if type(v) is not int:
                return f"expected a whole number, got {_show(v)}"
            if v < low or v > high:
                return f"{v} is out of range ({low}..{high})"
            return None

        return check_int
    allowed = frozenset(choices)
    listing = ", ".join(choices)

    def check_choice(v: object) -> str | None:
        if type(v) is not str or v not in allowed:
            return f"expected one of {listing}, got {_show(v)}"
        return None

    return check_choice


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 40 else text[:37] + "..."
