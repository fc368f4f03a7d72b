"""What the FHIR engine tests share: responses built from the Questionnaire, and the expected actions.

The expected actions are worked out from the Python engine alone, never from
the exporter: complete, valid answers give what ``assess`` selects; otherwise
the validity gate fires, with the red flags that are certain from the valid
answers (``kneeguide.kleene``), and, when the interview says an emergency is
certain, the ice or heat rule and steps of the interview's emergency result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kneeguide.guidance import Guidance
from kneeguide.kleene import evaluate_model

Json = dict[str, Any]
GATE = "answers_incomplete"
GROUP_OF_KIND = {
    "red_flag": "red_flags",
    "thermal": "thermal",
    "relief": "relief",
    "prevention": "prevention",
}


def questionnaire_response(questionnaire: Json, answers: Mapping[str, object]) -> Json:
    """A completed QuestionnaireResponse holding ``answers``, one item per answered question.

    The answer codings are taken from the Questionnaire's own ``answerOption``
    list, so the tests exercise the codings an EHR form would produce; a
    value that is not an option (out of range, for the gate) is written as is.
    """
    items = []
    for item in questionnaire["item"]:
        if item["linkId"] not in answers:
            continue
        value = answers[item["linkId"]]
        if item["type"] == "boolean":
            answer: Json = {"valueBoolean": value}
        elif item["type"] == "integer":
            answer = {"valueInteger": value}
        else:
            options = [o["valueCoding"] for o in item["answerOption"] if o["valueCoding"]["code"] == value]
            answer = {"valueCoding": options[0] if options else {"code": value}}
        items.append({"linkId": item["linkId"], "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "status": "completed",
        "item": items,
    }


def expected_actions(guidance: Guidance, answers: Mapping[str, object]) -> set[tuple[str | None, str]]:
    """(group action id, action id) of every action $apply must select for ``answers``."""
    kinds = {r.id: r.kind for r in guidance.rules()}
    problems = guidance.engine.check(answers)
    if not problems:
        a = guidance.assess(answers)
        ids = [*(rf.id for rf in a.red_flags), a.thermal.rule, *(s.id for s in a.relief)]
        ids += [s.id for s in a.prevention]
        return {(GROUP_OF_KIND[kinds[i]], i) for i in ids}
    bad = {p.field for p in problems}
    given: dict[str, object] = {k: v for k, v in answers.items() if k not in bad}
    given |= {q.id: False for q in guidance.questions if not q.required and q.id not in given}
    out: set[tuple[str | None, str]] = {(None, GATE)}
    step = guidance.interview(given)
    if step.status == "emergency":
        assert step.assessment is not None
        a = step.assessment
        ids = [*(rf.id for rf in a.red_flags), a.thermal.rule, *(s.id for s in a.relief)]
        ids += [s.id for s in a.prevention]
        return out | {(GROUP_OF_KIND[kinds[i]], i) for i in ids}
    model = guidance.decisions
    values = evaluate_model(model, given)
    return out | {("red_flags", f) for f in model.red_flags if values[model.fires(f)] is True}


def selected_by_tree(plan: Json, holds: Callable[[Json], bool]) -> set[tuple[str | None, str]]:
    """The leaves $apply selects: a group's condition, then its actions' conditions."""
    out: set[tuple[str | None, str]] = set()
    for action in plan["action"]:
        if any(not holds(c) for c in action.get("condition", [])):
            continue
        for leaf in action.get("action", [action]):
            if leaf is action or all(holds(c) for c in leaf.get("condition", [])):
                out.add((action["id"] if "action" in action else None, leaf["id"]))
    return out
