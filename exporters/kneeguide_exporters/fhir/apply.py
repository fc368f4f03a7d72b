"""$apply in process: a QuestionnaireResponse in, an R4 ``RequestGroup`` and ``CarePlan`` out.

What an engine's ``PlanDefinition/$apply`` gives for the exported Bundle,
without an engine: the actions whose conditions hold, in the
PlanDefinition's order and groups, each with its ``CommunicationRequest``
(the advice in ``payload``, as Encender writes it), and a CarePlan whose
activity is the RequestGroup, all in one ``transaction`` Bundle.  The answers are read with
``kneeguide.responses.answers_from_response`` (a response it cannot read
without guessing is refused, naming every field); then

* complete, valid answers: exactly what ``Guidance.assess`` selects;
* a required answer missing or a value out of range: the validity gate, and
  what ``DecisionModel.given`` says is certain from the valid answers
  (``kneeguide.kleene``): red flags that certainly fire, and only at a
  certain emergency the ice or heat rule and steps.

Resource ids are derived from the response's content, never from a clock,
so the same response always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import common as c
from .common import Json, Urls, fhir_id
from .library import GATE_ID
from .plan import GATE_PRIORITY, GROUPS, gate_advice, group_title

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance, Rule

__all__ = ["apply", "selected_actions"]

_ORDER = ("routine", "urgent", "asap", "stat")


def selected_actions(guidance: Guidance, answers: Mapping[str, object]) -> list[str]:
    """The ids of the actions $apply selects for ``answers``, in the PlanDefinition's order.

    ``answers`` may be incomplete or hold invalid values (those are read as
    unanswered); unknown ids and wrong types raise ``AnswersError``, as the
    interview does.
    """
    from kneeguide.decision import URGENCY_NAMES
    from kneeguide.engine import AnswersError
    from kneeguide.kleene import evaluate_model

    engine = guidance.engine
    problems = engine.check(answers)
    if not problems:
        a = guidance.assess(answers)
        chosen = {*(rf.id for rf in a.red_flags), a.thermal.rule, *(s.id for s in a.relief)}
        chosen |= {s.id for s in a.prevention}
        return [r.id for r in guidance.rules() if r.id in chosen]
    known = {q.id for q in guidance.questions}
    fatal = [p for p in problems if p.field not in known]  # unknown ids
    bad = {p.field for p in problems}
    if fatal:
        raise AnswersError(fatal)
    given = {k: v for k, v in answers.items() if k not in bad}
    for q in guidance.questions:
        if not q.required and q.id not in answers:
            given[q.id] = False  # an unanswered optional question reads as no, as assess reads it
    model = guidance.decisions
    values = evaluate_model(model, given)
    is_open = values[model.urgency_at_least(len(URGENCY_NAMES) - 1)] is True
    out = [GATE_ID]
    for rule in guidance.rules():
        needs_open, certain, not_certain = model.given(rule.id)
        if needs_open and not is_open:
            continue
        if all(values[n] is True for n in certain) and not any(values[n] is True for n in not_certain):
            out.append(rule.id)
    return out


def apply(guidance: Guidance, response: Mapping[str, Any]) -> Json:
    """The result of $apply for ``response``, as a ``transaction`` Bundle an EHR can store.

    It holds the CarePlan, the RequestGroup its activity names, and one
    CommunicationRequest per selected action, referring to each other by
    ``urn:uuid`` full URLs (a server gives them ids when it stores them).
    Raises ``AnswersError`` when the response cannot be read.
    """
    from kneeguide.responses import answers_from_response

    answers = answers_from_response(response, guidance)
    chosen = set(selected_actions(guidance, answers))
    urls = Urls(guidance)
    digest = hashlib.sha256(
        json.dumps(response, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    ).hexdigest()[:16]
    subject = response.get("subject")
    anyone: Json = {"display": guidance.words("fhir.who_answered")}
    who: Json = dict(subject) if isinstance(subject, Mapping) else anyone
    status = "active" if guidance.metadata.status == "active" else "draft"
    plan_url = urls.pinned("PlanDefinition", urls.plan_id)
    made = _Made(guidance, digest, who)
    actions: list[Json] = []
    if GATE_ID in chosen:
        text = gate_advice(guidance)
        title = guidance.words("fhir.gate_title")
        actions.append(made.action(GATE_ID, title, text, GATE_PRIORITY, text, []))
    rules = {r.id: r for r in guidance.rules()}
    for group_id, kind, behavior in GROUPS:
        inner = [made.rule(rules[i]) for i in rules if i in chosen and rules[i].kind == kind]
        if inner:
            title = group_title(guidance, group_id)
            actions.append({"id": group_id, "title": title, "selectionBehavior": behavior, "action": inner})
    top = max((a["priority"] for a in _leaves(actions)), key=_ORDER.index, default="routine")
    group: Json = {
        "resourceType": "RequestGroup",
        "id": f"{urls.plan_id}-{digest}",
        "instantiatesCanonical": [plan_url],
        "status": status,
        "intent": "proposal",
        "priority": top,
        "subject": who,
        "action": actions,
    }
    care_plan: Json = {
        "resourceType": "CarePlan",
        "id": f"{urls.plan_id}-{digest}",
        "instantiatesCanonical": [plan_url],
        "status": status,
        "intent": "proposal",
        "title": guidance.metadata.title,
        "subject": who,
        "activity": [{"reference": {"reference": made.urn(group)}}],
    }
    if isinstance(response.get("id"), str):
        care_plan["supportingInfo"] = [{"reference": f"QuestionnaireResponse/{response['id']}"}]
    entries = [
        {"fullUrl": made.urn(res), "resource": res, "request": {"method": "POST", "url": res["resourceType"]}}
        for res in (care_plan, group, *made.requests)
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class _Made:
    """The CommunicationRequests made for one response, and their stable ``urn:uuid`` names."""

    def __init__(self, guidance: Guidance, digest: str, who: Json) -> None:
        self.g = guidance
        self.digest = digest
        self.who = who
        self.requests: list[Json] = []

    def urn(self, resource: Json) -> str:
        key = f"kneeguide:{resource['resourceType']}/{resource['id']}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"

    def rule(self, rule: Rule) -> Json:
        citations = [c.citation(self.g.sources[s]) for s in c.sources_of(rule)]
        advice, payload = c.advice(rule), c.markdown_advice(self.g, rule)
        return self.action(rule.id, rule.item.title, advice, c.priority(rule), payload, citations)

    def action(
        self, action_id: str, title: str, text: str, priority: str, payload: str, citations: list[Json]
    ) -> Json:
        """One selected action and the CommunicationRequest holding its words."""
        attachments = [{"contentAttachment": {"url": a["url"], "title": a["display"]}} for a in citations]
        request: Json = {
            "resourceType": "CommunicationRequest",
            "id": f"{self.digest[:12]}-{fhir_id(action_id)}"[:64],
            "status": "active",
            "priority": priority,
            "subject": self.who,
            "payload": [{"contentString": payload}, *attachments],
        }
        self.requests.append(request)
        action: Json = {"id": action_id, "title": title, "description": text, "priority": priority}
        if citations:
            action["documentation"] = citations
        action["resource"] = {"reference": self.urn(request)}
        return action


def _leaves(actions: list[Json]) -> list[Json]:
    out = []
    for a in actions:
        out.extend(_leaves(a["action"]) if "action" in a else [a])
    return out
