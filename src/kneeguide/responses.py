"""Answers from a FHIR R4 ``QuestionnaireResponse`` to the guidance's ``Questionnaire``.

EHRs and FHIR form fillers store a person's answers as a
QuestionnaireResponse.  This module reads one back into an answer set for
``Guidance.assess``, by the Questionnaire that the ``fhir`` exporter writes
(``linkId`` = question id; ``valueBoolean``, ``valueInteger``, or
``valueCoding`` whose ``code`` is the choice).  The Questionnaire is taken
from the exporter itself, not described a second time here, so the two
cannot drift apart.

Reading is strict and never guesses: a resource that is not a
QuestionnaireResponse, a response to another Questionnaire, an unknown
``linkId``, a question given twice, more than one answer to a question, a
value of the wrong type, or a coding from another code system is refused
with an ``AnswersError`` naming every such field.  An item without an answer
is left out: whether it may be missing is for ``assess`` (which refuses a
missing required answer) or the interview to say.  Values are not range
checked here either: ``assess`` does that with its own messages.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engine import AnswerProblem, AnswersError

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["answers_from_response", "questionnaire_url"]

_VALUE_KEYS = {"boolean": "valueBoolean", "integer": "valueInteger", "choice": "valueCoding"}
"""The ``answer.value[x]`` each question type is answered with (contracts.md section 4)."""

_IGNORABLE = frozenset({"id", "extension"})
"""Members of an answer that cannot change its meaning (a ``modifierExtension`` can: refused)."""


@dataclass(frozen=True)
class _Form:
    """What reading a response needs from the exported Questionnaire."""

    url: str
    types: Mapping[str, str]
    """Question linkId -> ``boolean``, ``integer`` or ``choice``."""
    systems: Mapping[str, frozenset[str]]
    """Choice linkId -> the code systems of its answer options."""
    displays: frozenset[str]
    """linkIds of display items (help texts): never answered, so skipped when they appear."""


_forms: weakref.WeakKeyDictionary[Guidance, _Form] = weakref.WeakKeyDictionary()


def _form(guidance: Guidance) -> _Form:
    form = _forms.get(guidance)
    if form is None:
        from kneeguide_exporters.fhir import build_questionnaire

        questionnaire = build_questionnaire(guidance)
        items = questionnaire["item"]
        form = _Form(
            url=questionnaire["url"],
            types={item["linkId"]: item["type"] for item in items},
            systems={
                item["linkId"]: frozenset(o["valueCoding"]["system"] for o in item["answerOption"])
                for item in items
                if item["type"] == "choice"
            },
            displays=frozenset(
                child["linkId"]
                for item in items
                for child in item.get("item", ())
                if child["type"] == "display"
            ),
        )
        _forms[guidance] = form
    return form


def questionnaire_url(guidance: Guidance) -> str:
    """The canonical URL (without version) of the guidance's exported Questionnaire."""
    return _form(guidance).url


def answers_from_response(response: Mapping[str, object], guidance: Guidance) -> dict[str, object]:
    """The answer set in ``response``, keyed by question id.

    Raises ``AnswersError`` naming every field that cannot be read without
    guessing (see the module docstring).
    """
    if not isinstance(response, Mapping) or response.get("resourceType") != "QuestionnaireResponse":
        kind = response.get("resourceType") if isinstance(response, Mapping) else type(response).__name__
        raise AnswersError(
            [AnswerProblem(field="resourceType", message=f"expected a QuestionnaireResponse, got {kind!r}")]
        )
    form = _form(guidance)
    problems: list[AnswerProblem] = []
    named = response.get("questionnaire")
    if named is not None and (not isinstance(named, str) or named.split("|", 1)[0] != form.url):
        problems.append(
            AnswerProblem(
                field="questionnaire",
                message=f"this response answers {named!r}, not {form.url!r}",
            )
        )
    items = response.get("item", [])
    if not isinstance(items, list):
        problems.append(AnswerProblem(field="item", message="expected a list of items"))
        items = []
    answers: dict[str, object] = {}
    for i, item in enumerate(items):
        problems.extend(_read_item(f"item[{i}]", item, form, answers))
    if problems:
        raise AnswersError(problems)
    return answers


def _read_item(where: str, item: object, form: _Form, answers: dict[str, object]) -> list[AnswerProblem]:
    """Read one item into ``answers``; return what is wrong with it."""
    if not isinstance(item, Mapping):
        return [AnswerProblem(field=where, message="expected an item object")]
    link_id = item.get("linkId")
    if not isinstance(link_id, str):
        return [AnswerProblem(field=f"{where}.linkId", message="expected the question id as a string")]
    answer = item.get("answer")
    if link_id in form.displays and answer is None:
        return []
    kind = form.types.get(link_id)
    if kind is None:
        return [AnswerProblem(field=link_id, message=f"{where}: unknown question id")]
    if link_id in answers:
        return [AnswerProblem(field=link_id, message=f"{where}: this question is answered more than once")]
    problems = []
    for key in ("item", "modifierExtension"):
        if key in item:
            problems.append(AnswerProblem(field=link_id, message=f"{where}.{key}: not expected here"))
    if answer is None or answer == []:
        return problems
    if not isinstance(answer, list):
        return [*problems, AnswerProblem(field=link_id, message=f"{where}.answer: expected a list")]
    if len(answer) > 1:
        return [
            *problems,
            AnswerProblem(
                field=link_id, message=f"{where}.answer: {len(answer)} answers given, expected one"
            ),
        ]
    value, message = _value(answer[0], kind, form.systems.get(link_id, frozenset()))
    if message is not None:
        return [*problems, AnswerProblem(field=link_id, message=f"{where}.answer[0]: {message}")]
    answers[link_id] = value
    return problems


def _value(answer: object, kind: str, systems: frozenset[str]) -> tuple[object, str | None]:
    """The value of one answer, or why it cannot be read as a ``kind`` answer."""
    expected = _VALUE_KEYS[kind]
    if not isinstance(answer, Mapping):
        return None, "expected an answer object"
    given = sorted(k for k in answer if k.startswith("value"))
    others = sorted(k for k in answer if not k.startswith("value") and k not in _IGNORABLE)
    if others:
        return None, f"unexpected {', '.join(others)}"
    if given != [expected]:
        return None, f"expected {expected}, got {', '.join(given) or 'no value'}"
    value = answer[expected]
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, f"{expected} must be true or false")
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else (None, f"{expected} must be a whole number")
    return _code(value, systems)


def _code(coding: object, systems: frozenset[str]) -> tuple[object, str | None]:
    if not isinstance(coding, Mapping):
        return None, "valueCoding must be a Coding object"
    code = coding.get("code")
    if not isinstance(code, str):
        return None, "valueCoding.code must be a string"
    system = coding.get("system")
    if system is not None and system not in systems:
        return None, f"valueCoding.system {system!r} is not {_one_of(sorted(systems))}"
    return code, None


def _one_of(options: Sequence[str]) -> str:
    return repr(options[0]) if len(options) == 1 else "one of " + ", ".join(map(repr, options))
