"""The PlanDefinition: the gate and four group actions, and one ActivityDefinition per action.

Actions, in order:

* ``answers_incomplete``, the validity gate: fires when a required answer is
  missing, given twice or invalid; its advice is to answer every question or
  get help;
* ``red_flags`` (``selectionBehavior`` ``any``): one action per red flag,
  under the condition ``AnyRedFlag`` that each of them implies;
* ``thermal`` (``exactly-one``), highest priority first, and the step groups
  ``relief`` and ``prevention`` (``any``): each holds only when the answers
  are complete or an emergency is certain (condition ``CompleteOrEmergency``).

Each condition is ``text/cql`` naming its define in the Library, with the
same condition as FHIRPath in the ``cqf-alternativeExpression`` extension.
Nothing here decides: which definitions an action needs comes from
``DecisionModel.given``, their logic from the model's trees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import common as c
from .common import ACTION_KIND_CODESYSTEM_ID, Json, Urls, fhir_id
from .library import ANY_RED_FLAG, GATE_ID, OPEN, select_name
from .questionnaire import TOPIC_CODESYSTEM_ID, topic_code

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance, Rule

    from .bundle import Artifacts
    from .fhirpath import FhirPath

__all__ = ["GROUPS", "Plan", "gate_advice", "group_title"]

ALTERNATIVE = "http://hl7.org/fhir/StructureDefinition/cqf-alternativeExpression"
_PLAN_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
_USAGE_CONTEXT_TYPE = "http://terminology.hl7.org/CodeSystem/usage-context-type"
_ISO_3166 = "urn:iso:std:iso:3166"
_RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"

GROUPS: tuple[tuple[str, str, str], ...] = (
    ("red_flags", "red_flag", "any"),
    ("thermal", "thermal", "exactly-one"),
    ("relief", "relief", "any"),
    ("prevention", "prevention", "any"),
)
"""(group action id, kind of rule it holds, selectionBehavior), in order; each group's
title is the UI string ``fhir.group.<id>``."""

NAMED_HIGHER = 16
"""A condition's description names the higher thermal rules up to this many, so the
descriptions of all the rules grow linearly, not with the square of the rules."""

GATE_PRIORITY = "urgent"
"""Above routine: with the answers incomplete, no self-care may be assumed."""


def gate_advice(guidance: Guidance) -> str:
    """The gate's words: complete the answers, then the guidance's own advice on getting help."""
    return f"{guidance.words('fhir.gate_advice')} {guidance.metadata.disclaimer}"


def group_title(guidance: Guidance, group_id: str) -> str:
    """The title of a group action (one of ``GROUPS``) in the guidance's locale."""
    return guidance.words(f"fhir.group.{group_id}")


class Plan:
    """Builds the PlanDefinition and the ActivityDefinitions of one guidance."""

    def __init__(self, guidance: Guidance, urls: Urls, artifacts: Artifacts, fhirpath: FhirPath) -> None:
        from kneeguide.renderers import to_english

        self.g = guidance
        self.urls = urls
        self.artifacts = artifacts
        self.fp = fhirpath
        self.questions = {q.id: q for q in guidance.questions}
        self.titles = {rf.id: rf.title for rf in guidance.red_flags}
        self.to_english = to_english
        self.thermal = [r for r in guidance.rules() if r.kind == "thermal"]
        self.thermal_index = {r.id: i for i, r in enumerate(self.thermal)}
        taken = {r.id for r in guidance.rules()}
        clash = taken & {GATE_ID, *(group[0] for group in GROUPS)}
        if clash:
            raise ValueError(f"rule id {sorted(clash)[0]!r} is taken by an action of the export")

    def gate_advice(self) -> str:
        return gate_advice(self.g)

    # --- PlanDefinition -------------------------------------------------------------------

    def plan_definition(self) -> Json:
        meta, urls = self.g.metadata, self.urls
        pd = self.artifacts.artifact(
            "PlanDefinition", urls.plan_id, self.g.id, meta.title, level="structured"
        )
        topics = [
            {
                "coding": [
                    c.coding(urls.url("CodeSystem", TOPIC_CODESYSTEM_ID), urls.version, topic_code(t), t)
                ]
            }
            for t in dict.fromkeys(meta.topics)
        ]
        pd.update(
            {
                "type": {"coding": [{"system": _PLAN_TYPE, "code": "eca-rule", "display": "ECA Rule"}]},
                "subjectCodeableConcept": {"coding": [{"system": _RESOURCE_TYPES, "code": "Patient"}]},
                "description": meta.description,
                "useContext": [
                    {
                        "code": {"system": _USAGE_CONTEXT_TYPE, "code": "focus", "display": "Clinical Focus"},
                        "valueCodeableConcept": topics[0],
                    }
                ],
                "jurisdiction": [{"coding": [{"system": _ISO_3166, "code": j}]} for j in meta.jurisdiction],
                "purpose": meta.purpose,
                "usage": meta.intended_use,
                "copyright": meta.copyright,
                "approvalDate": meta.approval_date.isoformat(),
                "lastReviewDate": meta.last_review_date.isoformat(),
                "effectivePeriod": {
                    "start": meta.approval_date.isoformat(),
                    "end": meta.next_review_due.isoformat(),
                },
                "topic": topics,
                "author": [{"name": p.name} for p in meta.authors],
                "reviewer": [{"name": p.name} for p in meta.reviewers],
                "relatedArtifact": [
                    *(c.citation(src) for src in self.g.sources.values()),
                    {
                        "type": "depends-on",
                        "label": "questionnaire",
                        "display": self.g.words("fhir.questionnaire_artifact"),
                        "resource": urls.pinned("Questionnaire", urls.plan_id),
                    },
                ],
                "library": [urls.pinned("Library", urls.plan_id)],
                "action": self.actions(),
            }
        )
        return pd

    def actions(self) -> list[Json]:
        dm = self.g.decisions
        top = [self.gate_action()]
        words = self.g.words
        for group_id, kind, behavior in GROUPS:
            rules = [r for r in self.g.rules() if r.kind == kind]
            needs = {dm.given(r.id)[0] for r in rules}
            if len(needs) > 1:
                raise ValueError(f"the {group_id} rules do not agree on when they may be given")
            group: Json = {"id": group_id, "title": group_title(self.g, group_id)}
            if needs == {True}:
                group["condition"] = [self.condition(OPEN, self.fp.open(), words("fhir.when_open"))]
            elif kind == "red_flag":
                group["condition"] = [
                    self.condition(ANY_RED_FLAG, self.fp.any_red_flag(), words("fhir.when_any_red_flag"))
                ]
            group.update({"selectionBehavior": behavior, "action": [self.action(r) for r in rules]})
            top.append(group)
        for action in top:
            action["trigger"] = [{"type": "data-added", "data": [{"type": "QuestionnaireResponse"}]}]
            action["input"] = [{"type": "QuestionnaireResponse"}]
        return top

    def condition(self, define: str, fhirpath: str, words: str) -> Json:
        return {
            "kind": "applicability",
            "expression": {
                "extension": [
                    {
                        "url": ALTERNATIVE,
                        "valueExpression": {"language": "text/fhirpath", "expression": fhirpath},
                    }
                ],
                "description": words,
                "language": "text/cql",
                "expression": define,
            },
        }

    def kind_code(self, kind: str) -> list[Json]:
        system = self.urls.url("CodeSystem", ACTION_KIND_CODESYSTEM_ID)
        return [{"coding": [{"system": system, "version": self.urls.version, "code": kind}]}]

    def gate_action(self) -> Json:
        words = self.g.words("fhir.gate_when")
        when = c.capitalised(self.g.words("fhir.if", when=words))
        return {
            "id": GATE_ID,
            "title": self.g.words("fhir.gate_title"),
            "description": self.gate_advice(),
            "textEquivalent": f"{when}: {self.gate_advice()}",
            "priority": GATE_PRIORITY,
            "code": self.kind_code(GATE_ID),
            "condition": [self.condition(select_name(GATE_ID), self.fp.gate(), words)],
            "definitionCanonical": self.urls.pinned("ActivityDefinition", fhir_id(GATE_ID)),
        }

    def action(self, rule: Rule) -> Json:
        advice = c.advice(rule)
        return {
            "id": rule.id,
            "title": rule.item.title,
            "description": advice,
            "textEquivalent": f"{c.capitalised(self.when(rule))}: {advice}",
            "priority": c.priority(rule),
            "code": self.kind_code(rule.kind),
            "documentation": [c.citation(self.g.sources[s]) for s in c.sources_of(rule)],
            "condition": [
                self.condition(select_name(rule.id), self.fp.selected(rule.id), self.explained(rule))
            ],
            "definitionCanonical": self.urls.pinned("ActivityDefinition", fhir_id(rule.id)),
        }

    def english(self, rule_id: str) -> str:
        return self.to_english(self.g.source_conditions[rule_id], self.questions, self.titles, self.g.ui)

    def explained(self, rule: Rule) -> str:
        """The condition in words, with what the model adds to it (priority, gate)."""
        dm, words = self.g.decisions, self.g.words
        clauses = []
        higher = self.thermal[: self.thermal_index[rule.id]] if rule.kind == "thermal" else []
        if higher:
            named = (
                ", ".join(h.id for h in higher)
                if len(higher) <= NAMED_HIGHER
                else words("fhir.rules_before", count=len(higher))
            )
            clauses.append(words("fhir.no_higher_thermal", ids=named))
        gate = dm.gates.get(rule.id)
        if gate is not None and (gate.max_urgency != "emergency" or gate.not_with or gate.in_scope_only):
            clauses.append(words("fhir.gate"))
        if _always(rule):
            return words("fhir.and").join(clauses) or words("cond.always")
        return words("fhir.and").join([self.english(rule.id), *clauses])

    def when(self, rule: Rule) -> str:
        """The condition as the opening of a sentence, for ``textEquivalent``."""
        words = self.g.words
        higher = rule.kind == "thermal" and self.thermal_index[rule.id] > 0
        clause = words("fhir.no_higher_rule") if higher else ""
        if _always(rule):
            return words("fhir.if", when=clause) if clause else words("cond.always")
        when = self.english(rule.id) + (words("fhir.and") + clause if clause else "")
        return words("fhir.if", when=when)

    # --- ActivityDefinitions ----------------------------------------------------------------

    def activity_definitions(self) -> list[Json]:
        title = self.g.words("fhir.gate_title")
        gate = self.activity(fhir_id(GATE_ID), GATE_ID, title, self.gate_advice(), GATE_PRIORITY)
        gate["purpose"] = self.g.words("fhir.gate_purpose")
        return [gate, *(self.activity_definition(r) for r in self.g.rules())]

    def activity(self, ad_id: str, name: str, title: str, text: str, priority: str) -> Json:
        """A proposal to tell the person ``text``: $apply copies ``code.text`` into the payload."""
        ad = self.artifacts.artifact("ActivityDefinition", ad_id, name, title)
        ad.update(
            {
                "description": text,
                "kind": "CommunicationRequest",
                "code": {"text": text},
                "intent": "proposal",
                "priority": priority,
            }
        )
        return ad

    def activity_definition(self, rule: Rule) -> Json:
        ad = self.activity(
            fhir_id(rule.id), rule.id, rule.item.title, c.markdown_advice(self.g, rule), c.priority(rule)
        )
        ad["purpose"] = c.purpose(self.g, rule)
        ad["relatedArtifact"] = [c.citation(self.g.sources[s]) for s in c.sources_of(rule)]
        return ad


def _always(rule: Rule) -> bool:
    from kneeguide.conditions import Const

    return isinstance(rule.condition, Const) and rule.condition.value
