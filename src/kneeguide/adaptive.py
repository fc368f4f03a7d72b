"""The adaptive interview: partial answers in, what is certain and what to ask next out.

An app asks one question at a time and calls ``interview`` after each
answer (docs/interview.md)::

    answers = {}
    while (step := g.interview(answers)).status == "needs_answers":
        answers[step.next_questions[0].id] = ask(step.next_questions[0])

The decision model is evaluated three-valued (``kneeguide.kleene``): a value
that is already true or false is the same for every way the unanswered
questions could be answered.  So

* ``emergency``: an emergency red flag has certainly fired; nothing still
  unanswered can change what the person must do now, so asking stops;
* ``complete``: every output of the decision model is settled, and the
  assessment is exactly what ``assess`` returns for any completion;
* ``needs_answers``: anything else.  It carries no assessment, so it is never
  a self-care result, and it lists the unanswered questions that can still
  change the result, in the content's ask order.

``verify`` proves the three-valued evaluation sound over every answer set
and every set of unanswered questions (property ``interview_agrees``).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from .engine import AnswersError, snapshot
from .kleene import evaluate_model, unknown_questions
from .models import URGENCIES
from .results import Assessment, GuidanceRef, Urgency

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["Interview", "InterviewChoice", "InterviewQuestion", "interview"]


class _Out(BaseModel):
    # Every field is always dumped, defaults too: the published schemas say so by requiring them.
    # The fields' docstrings describe them in the published schema.
    model_config = ConfigDict(
        frozen=True, json_schema_serialization_defaults_required=True, use_attribute_docstrings=True
    )


class InterviewChoice(_Out):
    code: str
    label: str


class InterviewQuestion(_Out):
    """One question as an app shows it."""

    id: str
    type: Literal["boolean", "integer", "choice"]
    text: str
    help: str
    required: bool
    minimum: int | None = None
    maximum: int | None = None
    unit: str | None = None
    choices: tuple[InterviewChoice, ...] = ()


def _settled_rules(schema: dict[str, Any]) -> None:
    """What the published schema adds to the fields: only a settled interview holds an assessment.

    And only an unsettled one has questions left to ask (``test_interview`` checks both).
    """
    assessment = dict(schema["properties"]["assessment"]["anyOf"][0])  # the reference, as pydantic names it
    schema["allOf"] = [
        {
            "if": {"properties": {"status": {"const": "needs_answers"}}},
            "then": {"properties": {"assessment": {"type": "null"}, "next_questions": {"minItems": 1}}},
            "else": {"properties": {"assessment": assessment, "next_questions": {"maxItems": 0}}},
        }
    ]


class Interview(_Out):
    """Where an interview stands (contracts.md section 7)."""

    model_config = ConfigDict(json_schema_extra=_settled_rules)

    guidance: GuidanceRef
    status: Literal["emergency", "complete", "needs_answers"]
    urgency_at_least: Urgency
    """The urgency already certain: the final one is never lower."""
    next_questions: tuple[InterviewQuestion, ...]
    """Unanswered questions that can still change the result, in ask order; empty unless needs_answers."""
    answered: int
    """How many answers were given: with ``len(next_questions)`` an app can show progress."""
    assessment: Assessment | None
    """``complete``: the assessment; ``emergency``: the emergency advice; otherwise none."""

    def to_json(self) -> str:
        """Exactly ``json.dumps(self.model_dump(mode="json"))``, the assessment from its encoded parts."""
        head = json.dumps(self.model_dump(mode="json", exclude={"assessment"}))
        tail = "null" if self.assessment is None else self.assessment.to_json()
        return f'{head[:-1]}, "assessment": {tail}}}'


def interview(guidance: Guidance, answers: Mapping[str, object]) -> Interview:
    """Evaluate a partial answer set (see the module docstring).

    Raises ``AnswersError`` naming every wrong type, unknown id and value out
    of range, exactly as ``assess`` does; unanswered questions are allowed.
    """
    engine = guidance.engine
    model = guidance.decisions
    answers = snapshot(answers)
    problems = engine.check(answers, partial=True)
    if problems:
        raise AnswersError(problems)
    values = evaluate_model(model, answers)
    levels = [model.urgency_at_least(k) for k in range(1, len(URGENCIES))]
    level = sum(1 for n in levels if values[n] is True)
    outputs = list(engine.outputs)
    unknown = [n for n in outputs if values[n] is None]
    status: Literal["emergency", "complete", "needs_answers"]
    assessment = None
    questions: tuple[InterviewQuestion, ...] = ()
    if not unknown:
        status = "emergency" if level == len(URGENCIES) - 1 else "complete"
        assessment = engine.result([values[n] is True for n in (*outputs, *levels)])
    elif level == len(URGENCIES) - 1:
        status = "emergency"
        assessment = engine.result(_emergency_outputs(guidance, values, outputs, levels))
    else:
        status = "needs_answers"
        wanted = unknown_questions(model, unknown, answers, values)
        by_id = _questions(guidance)
        questions = tuple(by_id[q] for q in model.ask_order if q in wanted)
    return Interview(
        guidance=engine.ref,
        status=status,
        urgency_at_least=URGENCIES[level],
        next_questions=questions,
        answered=len(answers),
        assessment=assessment,
    )


def _emergency_outputs(
    guidance: Guidance, values: Mapping[str, bool | None], outputs: list[str], levels: list[str]
) -> list[bool]:
    """The outputs of an emergency that is certain before every answer is in.

    Red flags and advice count only when certain.  Every self-care step,
    prevention step and ice or heat rule is gated off at an emergency, so
    those are certainly false; of the rules that may still speak (advice
    none), the highest that certainly applies gives its instructions.
    """
    model = guidance.decisions
    chosen = next(r for r in model.thermal if values[model.applies(r)] is True)
    fired = []
    for name in (*outputs, *levels):
        if name.startswith("decides:"):
            fired.append(name == model.decides(chosen))
        else:
            fired.append(values[name] is True)
    return fired


def _questions(guidance: Guidance) -> dict[str, InterviewQuestion]:
    """Every question as an app shows it, built once per guidance (the models are immutable)."""
    built = _shown.get(guidance)
    if built is None:
        built = _shown[guidance] = _build_questions(guidance)
    return built


_shown: weakref.WeakKeyDictionary[Guidance, dict[str, InterviewQuestion]] = weakref.WeakKeyDictionary()


def _build_questions(guidance: Guidance) -> dict[str, InterviewQuestion]:
    return {
        q.id: InterviewQuestion(
            id=q.id,
            type=q.type,
            text=q.text,
            help=q.help,
            required=q.required,
            minimum=q.minimum,
            maximum=q.maximum,
            unit=q.unit,
            choices=tuple(InterviewChoice(code=c.code, label=c.label) for c in q.choices or ()),
        )
        for q in guidance.questions
    }
