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

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast

from .answer_checks import Checker, checker, problems
from .answer_problem import AnswerProblem
from .condition_tree import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref
from .decision import Definition, Gate
from .errors import AnswersError
from .guidance import Guidance
from .models import URGENCIES, Step, ThermalRule
from .renderers import to_english, to_python
from .result_parts import Parts
from .results import (
    Assessment,
    GuidanceRef,
    RedFlagResult,
    StepResult,
    ThermalResult,
    TraceEntry,
    Urgency,
    trusted,
)

__all__ = [
    "AnswerProblem",
    "AnswersError",
    "Assessment",
    "Engine",
    "RedFlagResult",
    "StepResult",
    "ThermalResult",
    "TraceEntry",
    "Urgency",
]


class Engine:
    """The compiled form of one ``Guidance``: its decision model as one Python function."""

    def __init__(self, guidance: Guidance) -> None:
        g = guidance
        model = g.decisions
        self.guidance = g
        self.model = model
        self.ref = trusted(GuidanceRef, id=g.id, version=g.version, digest=g.digest, locale=g.locale)
        self._questions = {q.id: q for q in g.questions}
        self._required = frozenset(q.id for q in g.questions if q.required)
        self._optional = tuple(q.id for q in g.questions if not q.required)
        self._checks: dict[str, Checker] = {
            q.id: checker(q.type, q.minimum, q.maximum, [c.code for c in q.choices or ()])
            for q in g.questions
        }
        titles = {rf.id: rf.title for rf in g.red_flags}
        self._titles = titles

        # Everything an answer set can select is built here, once (the trace's
        # entries when first read); ``assess`` only picks from these by the
        # booleans ``decide`` returns.
        ordered = g.thermal_by_priority()
        self._ordered = ordered
        self.parts = Parts(
            ref=self.ref,
            disclaimer=g.metadata.disclaimer,
            flags=[
                trusted(
                    RedFlagResult,
                    id=rf.id,
                    urgency=rf.urgency,
                    title=rf.title,
                    advice=rf.advice,
                    sources=tuple(rf.sources),
                    out_of_scope=rf.out_of_scope,
                )
                for rf in g.red_flags
            ],
            thermal=[_thermal_result(tr) for tr in ordered],
            relief=[_step_result(st) for st in g.relief],
            prevention=[_step_result(st) for st in g.prevention],
            entries=self._entries,
            chosen=self._chosen,
            masked=self._mask,
            incomplete=lambda: (
                f"no thermal rule applies to these answers in {g.id} {g.version}: "
                "the content is incomplete (run kneeguide validate and verify)"
            ),
        )
        """The immutable parts of every result (``kneeguide.results``)."""
        self.outputs = tuple(model.outputs())
        """The definitions ``decide`` returns, in order (``DecisionModel.outputs``)."""
        self._decide, self._run = self._compile()

    def _compile(self) -> tuple[Callable[..., tuple[bool, ...]], Callable[..., tuple[bool, ...] | None]]:
        """``decide(answers)`` and ``run(answers)``, generated from the decision model.

        ``decide`` returns every output of the decision model, then the
        urgency levels.  Each definition becomes one local, in the model's
        dependency order, so a rule used by others (a red flag, "urgency is
        at least urgent") is evaluated once per call.

        ``run`` is ``decide`` for the common case of good answers, with the
        input check folded in: it reads each answer once, checks them all at
        once and returns ``None`` when it is not sure they are valid; then
        ``check`` walks the answers and names every problem.  Both are
        generated from typed data only: ids are quoted with ``repr``, bounds
        and constants are integers.
        """
        model = self.model
        names = {qid: f"v{i}" for i, qid in enumerate(self._questions)}
        reads, tests = [], []
        for qid, var in names.items():
            q = self._questions[qid]
            reads.append(
                f"    {var} = " + (f"a.get({qid!r}, False)" if qid in self._optional else f"a[{qid!r}]")
            )
            # ``type``, not ``__class__``, which an object can pretend; as ``check`` does.
            if q.type == "boolean":
                tests.append(f"type({var}) is bool")
            elif q.type == "integer":
                lo = int(q.minimum if q.minimum is not None else -(2**63))
                hi = int(q.maximum if q.maximum is not None else 2**63)
                tests.append(f"(type({var}) is int and {lo} <= {var} <= {hi})")
            else:
                codes = ", ".join(repr(c.code) for c in q.choices or ())
                tests.append(f"(type({var}) is str and {var} in ({codes},))")
        body, local = _statements(model.definitions, names)
        levels = [model.urgency_at_least(k) for k in range(1, len(URGENCIES))]
        returned = ", ".join(local[n] for n in (*self.outputs, *levels))
        present = " + ".join(f"({q!r} in a)" for q in self._optional) or "0"
        decide_source = "\n".join(["def decide(a):", *reads, *body, f"    return ({returned},)"])
        run_source = "\n".join(
            [
                "def run(a):",
                f"    if type(a) is not dict or len(a) != {len(self._required)} + {present}:",
                "        return None",
                "    try:",
                *("    " + line for line in reads),
                "    except KeyError:",
                "        return None",
                f"    if not ({' and '.join(tests)}):",
                "        return None",
                *body,
                f"    return ({returned},)",
            ]
        )
        where = f"<kneeguide rules {self.guidance.id}>"
        return _define(decide_source, "decide", where), _define(run_source, "run", where)

    def _english(self, item_id: str) -> str:
        g = self.guidance
        return to_english(g.source_conditions[item_id], self._questions, self._titles, g.ui)

    def _entries(self) -> list[tuple[TraceEntry, TraceEntry]]:
        """Each rule's trace entry when it does not fire and when it does (``Parts.entries``)."""
        g = self.guidance
        entries = []
        for rule in g.rules():
            text = self._english(rule.id)
            kind = cast(Literal["red_flag", "thermal", "relief", "prevention"], rule.kind)
            yes, no = g.ui[f"trace.fired.{rule.kind}"], g.ui[f"trace.not_fired.{rule.kind}"]
            gate = self.model.gates.get(rule.id)
            withheld = _gate_words(g, gate, self._titles) if gate is not None else ""
            entries.append(
                (
                    trusted(TraceEntry, rule=rule.id, kind=kind, fired=False, why=f"{no}{text}{withheld}"),
                    trusted(TraceEntry, rule=rule.id, kind=kind, fired=True, why=f"{yes}{text}"),
                )
            )
        return entries

    def _chosen(self) -> list[TraceEntry]:
        """Each thermal rule's trace entry when it decides (``Parts.chosen``)."""
        g = self.guidance
        return [
            trusted(
                TraceEntry,
                rule=tr.id,
                kind="thermal",
                fired=True,
                why=g.words("trace.chosen", advice=tr.advice, priority=tr.priority, why=self._english(tr.id)),
            )
            for tr in self._ordered
        ]

    def _mask(self, j: int, winner: int) -> TraceEntry:
        """The trace entry of thermal rule ``j`` when it applies but rule ``winner`` decides."""
        rule, top = self._ordered[j], self._ordered[winner]
        g = self.guidance
        text = self._english(rule.id)
        return trusted(
            TraceEntry,
            rule=rule.id,
            kind="thermal",
            fired=False,
            why=g.words("trace.masked", why=text, winner=repr(top.id)),
        )

    def check(self, answers: object, *, partial: bool = False) -> list[AnswerProblem]:
        """Every problem with ``answers``; empty when they may be assessed.

        ``partial`` allows unanswered questions (the interview); every answer
        given is still checked as strictly.
        """
        return problems(self._checks, self._required, answers, partial=partial)

    def assess(self, answers: Mapping[str, object]) -> Assessment:
        answers = snapshot(answers)
        try:
            fired = self._run(answers)
        except TypeError:  # an odd value or key: ``check`` says what is wrong
            fired = None
        if fired is None:  # not sure the answers are good: name every problem, if any
            problems = self.check(answers)
            if problems:
                raise AnswersError(problems)
            fired = self._decide(answers)
        return self.parts.assessment(fired)

    def assess_json(self, answers: Mapping[str, object]) -> str:
        """``assess(answers).to_json()``, without building the trace's objects."""
        a = self.assess(answers)
        return a.to_json()

    def result(self, fired: Sequence[bool]) -> Assessment:
        """The assessment for the values of ``decide``'s outputs (also the interview's, once decided)."""
        return self.parts.assessment(tuple(fired))


def snapshot(answers: Mapping[str, object]) -> Mapping[str, object]:
    """One read of the answers, so that what is checked is exactly what is decided.

    A plain dict is copied (another thread may change it between the check
    and the decision); any other mapping is read once through ``items()``, so
    a ``__getitem__`` that disagrees with it cannot change the outcome.
    Anything else is passed on for ``check`` to refuse.
    """
    if type(answers) is dict:
        return answers.copy()
    if isinstance(answers, Mapping):
        return dict(answers.items())
    return answers


def _gate_words(g: Guidance, gate: Gate, titles: Mapping[str, str]) -> str:
    """The trace's words for when a piece of advice is withheld whatever its condition says."""
    parts = []
    if gate.max_urgency != "emergency":
        parts.append(g.words("trace.gate.max_urgency", urgency=gate.max_urgency))
    if gate.not_with:
        flags = ", ".join(repr(titles.get(f, f)) for f in gate.not_with)
        parts.append(g.words("trace.gate.not_with", flags=flags))
    if gate.in_scope_only:
        parts.append(g.ui["trace.gate.scope"])
    return "; " + "; ".join(parts) if parts else ""


def _statements(
    definitions: Sequence[Definition], names: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The statements of the definitions, each part that occurs more than once computed once.

    Also the local that holds each definition: its own, or the one of what
    it equals (``decides`` of the top thermal rule is its ``applies``).

    The generated functions run these only on answers already checked, so a
    yes/no answer is read as itself (``v`` rather than ``v is True``).  A part
    of a tree equal to an earlier definition is read from that definition's
    local; a part that occurs in several trees (a gate such as "not urgent and
    in scope", a choice test) gets a local of its own just before the first
    statement that reads it.  Every part is a pure test of checked answers, so
    computing one that ``and`` or ``or`` would have skipped changes no value.
    """
    count: Counter[Condition] = Counter()

    def tally(node: Condition) -> None:
        count[node] += 1
        if count[node] == 1:  # the parts of a repeated part are counted once, with it
            for child in (node.operand,) if isinstance(node, Not) else getattr(node, "operands", ()):
                tally(child)

    for d in definitions:
        tally(d.expr)
    known: dict[Condition, str] = {}
    lines: list[str] = []
    local: dict[str, str] = {}

    def shared(node: Condition, top: bool) -> Condition:
        """``node`` over locals: answers, definitions and shared parts as ``Ref`` by local name."""
        if isinstance(node, Flag):
            return Ref(names[node.question])
        if isinstance(node, Ref):
            return Ref(local[node.name])
        if not isinstance(node, Not | And | Or | Compare | OneOf):
            return node
        name = known.get(node)
        if name is not None:
            return Ref(name)
        parts: Condition = node
        if isinstance(node, Not):
            parts = Not(shared(node.operand, False))
        elif isinstance(node, And | Or):
            neutral = Const(isinstance(node, And))  # ``True and x`` is ``x``
            kept = tuple(c for c in (shared(c, False) for c in node.operands) if c != neutral)
            parts = type(node)(kept) if len(kept) > 1 else kept[0] if kept else neutral
        if top or count[node] < 2 or isinstance(parts, Ref | Const):
            return parts
        name = known[node] = f"s{len(lines)}"
        lines.append(f"    {name} = {to_python(parts, names.__getitem__, _as_is)}")
        return Ref(name)

    for i, d in enumerate(definitions):
        expr = shared(d.expr, True)
        if isinstance(expr, Ref):  # a local already holds it
            local[d.name] = expr.name
        else:
            local[d.name] = f"d{i}"
            lines.append(f"    d{i} = {to_python(expr, names.__getitem__, _as_is)}")
        known.setdefault(d.expr, local[d.name])
    return lines, local


def _as_is(name: str) -> str:
    return name


_GENERATED_GLOBALS = {
    "__builtins__": {},
    "bool": bool,
    "dict": dict,
    "int": int,
    "str": str,
    "len": len,
    "type": type,
    "KeyError": KeyError,
}
"""All that generated functions may reach: no builtins beyond these seven."""


def _define(source: str, name: str, filename: str) -> Any:
    """Compile generated source (see the module docstring) and return the function ``name``."""
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), dict(_GENERATED_GLOBALS), namespace)
    return namespace[name]


def _thermal_result(tr: ThermalRule) -> ThermalResult:
    return trusted(
        ThermalResult,
        advice=tr.advice,
        rule=tr.id,
        title=tr.title,
        instructions=tr.instructions,
        cautions=tuple(c.text for c in tr.cautions),
        sources=tuple(tr.cited),
    )


def _step_result(st: Step) -> StepResult:
    return trusted(
        StepResult, id=st.id, title=st.title, text=st.text, how_to=tuple(st.how_to), sources=tuple(st.sources)
    )
