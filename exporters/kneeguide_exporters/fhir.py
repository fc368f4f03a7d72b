"""The ``fhir`` export: one FHIR R4 (4.0.1) Bundle an EHR can run (contracts.md section 4).

The Bundle (type ``collection``) holds:

* the ``PlanDefinition`` (type ``eca-rule``) with every element a shareable,
  publishable knowledge artifact carries, a citation per source, and one
  action per red flag, thermal rule, relief step and prevention step.  Each
  action's applicability condition is a self-contained FHIRPath boolean over
  the ``QuestionnaireResponse``: the thermal hit policy is folded in (a rule's
  expression is its condition and not any higher-priority rule's), so an
  engine that fires "every action whose condition is true" selects exactly
  what ``Guidance.assess`` selects;
* the ``Questionnaire`` of the question set (``linkId`` = question id);
* one ``CodeSystem`` per choice question (the answer codes), and one naming
  the kinds of action;
* one ``ActivityDefinition`` per action: the advice itself, which each action
  names through ``definitionCanonical``.

Every canonical is pinned ``url|version``; every canonical resource's
``fullUrl`` is its canonical URL, ``[base]/[type]/[id]``, so each reference
resolves inside the Bundle.  The JSON is built in a fixed order with no clock
reads: the same guidance always gives the same bytes.  The mapping is
documented in docs/fhir.md.

This module is imported by ``kneeguide formats``, so the heavy imports wait
until ``render`` runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat

if TYPE_CHECKING:
    from kneeguide.conditions import Condition
    from kneeguide.guidance import Guidance, Rule
    from kneeguide.models import Source

__all__ = [
    "ACTION_KIND_CODESYSTEM_ID",
    "FHIR_VERSION",
    "PRIORITY_OF_URGENCY",
    "build_bundle",
    "kneeguide_formats",
    "render",
]

FHIR_VERSION = "4.0.1"

PRIORITY_OF_URGENCY: Mapping[str, str] = {
    "emergency": "stat",
    "urgent": "asap",
    "soon": "urgent",
    "self_care": "routine",
}
"""Our urgency -> FHIR request priority (http://hl7.org/fhir/request-priority).

The request-priority codes are ordered routine < urgent < asap < stat, like
our scale, but the words do not line up: our "urgent" (same-day care) is
FHIR's "asap", and our "soon" (within days) is FHIR's "urgent".
"""

ACTION_KIND_CODESYSTEM_ID = "kneeguide.action-kind"
"""The CodeSystem naming the four kinds of action.  The '.' keeps it apart
from the answer CodeSystems, whose ids come from question ids (which never
contain a '.')."""

ACTION_KINDS: Mapping[str, str] = {
    "red_flag": "Red flag: a sign that needs medical care",
    "thermal": "Ice or heat advice (exactly one applies)",
    "relief": "Relief step during or after a spasm",
    "prevention": "Prevention step",
}

_PLAN_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
_USAGE_CONTEXT_TYPE = "http://terminology.hl7.org/CodeSystem/usage-context-type"
_ITEM_CONTROL = "http://hl7.org/fhir/questionnaire-item-control"
_ITEM_CONTROL_EXT = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
_MIN_VALUE_EXT = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE_EXT = "http://hl7.org/fhir/StructureDefinition/maxValue"
_ISO_3166 = "urn:iso:std:iso:3166"
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_ARTIFACT_NAME = re.compile(r"^[A-Z]([A-Za-z0-9_]){0,254}$")  # invariant pdf-0 (and adf-0, qst-0, csd-0)

Json = dict[str, Any]


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    """The built-in ``fhir`` format."""
    return [
        ExportFormat(
            name="fhir",
            media_type="application/fhir+json",
            render=render,
            description="FHIR R4 4.0.1 Bundle: executable PlanDefinition, Questionnaire, ActivityDefinitions",
        )
    ]


def render(guidance: Guidance) -> dict[str, bytes]:
    """The Bundle as ``{"<guidance id>.fhir.json": bytes}``: UTF-8, two-space indent, final newline."""
    text = json.dumps(build_bundle(guidance), indent=2, ensure_ascii=False) + "\n"
    return {f"{guidance.id}.fhir.json": text.encode("utf-8")}


def build_bundle(guidance: Guidance) -> Json:
    """The Bundle as JSON-ready dicts, in the order it is written."""
    return _Builder(guidance).bundle()


def fhir_id(text: str) -> str:
    """A FHIR ``id`` for a content id: ``_`` becomes ``-`` (ids allow ``[A-Za-z0-9-.]``).

    Content ids never contain ``-``, so the mapping is one to one.
    """
    out = text.replace("_", "-")
    if not _FHIR_ID.match(out):
        raise ValueError(f"{text!r} cannot be made a FHIR id (at most 64 of A-Z a-z 0-9 - .)")
    return out


def artifact_name(text: str) -> str:
    """A computer-friendly name (invariant pdf-0): ``knee-muscle-spasm`` -> ``KneeMuscleSpasm``."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)
    if not _ARTIFACT_NAME.match(name):
        name = "K" + name
    if not _ARTIFACT_NAME.match(name[:255]):
        raise ValueError(f"{text!r} cannot be made a FHIR artifact name")
    return name[:255]


class _Builder:
    """Builds the resources of one Bundle; holds the URLs so references agree."""

    def __init__(self, guidance: Guidance) -> None:
        from kneeguide.renderers import to_english, to_fhirpath

        self.g = guidance
        self.to_english = to_english
        self.to_fhirpath = to_fhirpath
        meta = guidance.metadata
        self.base = meta.url.rstrip("/")
        self.version = meta.version
        self.questions = {q.id: q for q in guidance.questions}
        self.red_flag_titles = {rf.id: rf.title for rf in guidance.red_flags}
        dates = [e.date for e in meta.change_log if e.version == meta.version] or [
            e.date for e in meta.change_log
        ]
        self.date = max(dates).isoformat()
        self.plan_id = fhir_id(guidance.id)

    # --- urls ---------------------------------------------------------------------

    def url(self, resource_type: str, resource_id: str) -> str:
        return f"{self.base}/{resource_type}/{resource_id}"

    def pinned(self, resource_type: str, resource_id: str) -> str:
        return f"{self.url(resource_type, resource_id)}|{self.version}"

    def answer_system(self, question_id: str) -> str:
        return self.url("CodeSystem", fhir_id(question_id))

    # --- the Bundle ---------------------------------------------------------------

    def bundle(self) -> Json:
        resources = [self.plan_definition(), self.questionnaire()]
        resources += [self.answer_codesystem(q.id) for q in self.g.questions if q.type == "choice"]
        resources.append(self.action_kind_codesystem())
        resources += [self.activity_definition(rule) for rule in self.g.rules()]
        seen: set[tuple[str, str]] = set()
        for res in resources:
            key = (res["resourceType"], res["id"])
            if key in seen:
                raise ValueError(f"two {key[0]} resources would have the id {key[1]!r}")
            seen.add(key)
        return {
            "resourceType": "Bundle",
            "id": self.plan_id,
            "type": "collection",
            "entry": [
                {"fullUrl": self.url(res["resourceType"], res["id"]), "resource": res} for res in resources
            ],
        }

    def artifact(self, resource_type: str, resource_id: str, name: str, title: str) -> Json:
        """The elements every canonical resource here shares, in a fixed order."""
        meta = self.g.metadata
        return {
            "resourceType": resource_type,
            "id": resource_id,
            "url": self.url(resource_type, resource_id),
            "version": self.version,
            "name": artifact_name(name),
            "title": title,
            "status": meta.status,
            "experimental": meta.experimental,
            "date": self.date,
            "publisher": meta.publisher,
            "contact": [_contact(c.name, c.url, c.email) for c in meta.contact],
        }

    # --- PlanDefinition -------------------------------------------------------------

    def plan_definition(self) -> Json:
        meta = self.g.metadata
        pd = self.artifact("PlanDefinition", self.plan_id, self.g.id, meta.title)
        pd["type"] = {"coding": [{"system": _PLAN_TYPE, "code": "eca-rule", "display": "ECA Rule"}]}
        pd.update(
            {
                "description": meta.description,
                "useContext": [
                    {
                        "code": {"system": _USAGE_CONTEXT_TYPE, "code": "focus", "display": "Clinical Focus"},
                        "valueCodeableConcept": {"text": meta.topics[0]},
                    }
                ],
                "jurisdiction": [{"coding": [{"system": _ISO_3166, "code": c}]} for c in meta.jurisdiction],
                "purpose": meta.purpose,
                "usage": meta.intended_use,
                "copyright": meta.copyright,
                "approvalDate": meta.approval_date.isoformat(),
                "lastReviewDate": meta.last_review_date.isoformat(),
                "effectivePeriod": {
                    "start": meta.approval_date.isoformat(),
                    "end": meta.next_review_due.isoformat(),
                },
                "topic": [{"text": topic} for topic in meta.topics],
                "author": [{"name": p.name} for p in meta.authors],
                "reviewer": [{"name": p.name} for p in meta.reviewers],
                "relatedArtifact": [
                    *(_citation(src) for src in self.g.sources.values()),
                    {
                        "type": "depends-on",
                        "label": "questionnaire",
                        "display": "The questions whose answers the action conditions read",
                        "resource": self.pinned("Questionnaire", self.plan_id),
                    },
                ],
                "action": [self.action(rule) for rule in self.g.rules()],
            }
        )
        return pd

    def action(self, rule: Rule) -> Json:
        expression, explained = self.folded_condition(rule)
        return {
            "id": rule.id,
            "title": rule.item.title,
            "description": _advice(rule),
            "textEquivalent": f"{_capitalised(self.when(rule))}: {_advice(rule)}",
            "priority": _priority(rule),
            "code": [
                {
                    "coding": [
                        {
                            "system": self.url("CodeSystem", ACTION_KIND_CODESYSTEM_ID),
                            "version": self.version,
                            "code": rule.kind,
                        }
                    ]
                }
            ],
            "documentation": [_citation(self.g.sources[s]) for s in _sources_of(rule)],
            "condition": [
                {
                    "kind": "applicability",
                    "expression": {
                        "description": explained,
                        "language": "text/fhirpath",
                        "expression": expression,
                    },
                }
            ],
            "definitionCanonical": self.pinned("ActivityDefinition", fhir_id(rule.id)),
        }

    def folded_condition(self, rule: Rule) -> tuple[str, str]:
        """The action's FHIRPath from the decision model, and the same in words.

        The expression is the model's definition of "this item is given"
        with every reference expanded: the hit policy for thermal rules, the
        gates (urgency, withholding red flags, scope) for advice.  Nothing of
        the policy is written here again.
        """
        dm = self.g.decisions
        tree = dm.expanded(dm.selected(rule.id))
        english = self.english(rule.id)
        clauses = []
        if rule.kind == "thermal" and self.higher_thermal(rule.id):
            ids = ", ".join(h.id for h in self.higher_thermal(rule.id))
            clauses.append(f"no thermal rule of higher priority applies ({ids})")
        gate = dm.gates.get(rule.id)
        if gate is not None and (gate.max_urgency != "emergency" or gate.not_with or gate.in_scope_only):
            clauses.append("its gate lets it be shown (urgency, withholding warning signs, scope)")
        if not clauses:
            return self.to_fhirpath(tree), english
        if _always(rule.condition):
            return self.to_fhirpath(tree), ", and ".join(clauses)
        return self.to_fhirpath(tree), ", and ".join([english, *clauses])

    def higher_thermal(self, rule_id: str) -> list[Rule]:
        ordered = [r for r in self.g.rules() if r.kind == "thermal"]
        index = next(i for i, r in enumerate(ordered) if r.id == rule_id)
        return ordered[:index]

    def english(self, rule_id: str) -> str:
        return self.to_english(self.g.source_conditions[rule_id], self.questions, self.red_flag_titles)

    def when(self, rule: Rule) -> str:
        """The condition as the opening of a sentence, for ``textEquivalent``."""
        higher = self.higher_thermal(rule.id) if rule.kind == "thermal" else []
        clause = "no rule of higher priority applies" if higher else ""
        if _always(rule.condition):
            return f"if {clause}" if clause else "always"
        return f"if {self.english(rule.id)}" + (f", and {clause}" if clause else "")

    # --- Questionnaire and CodeSystems --------------------------------------------------

    def questionnaire(self) -> Json:
        q = self.artifact("Questionnaire", self.plan_id, f"{self.g.id}-questions", self.g.metadata.title)
        q.update(
            {
                "subjectType": ["Patient"],
                "description": "The questions whose answers the actions of "
                f"{self.url('PlanDefinition', self.plan_id)} read.",
                "item": [self.question_item(question_id) for question_id in self.questions],
            }
        )
        return q

    def question_item(self, question_id: str) -> Json:
        question = self.questions[question_id]
        item: Json = {"linkId": question.id}
        extensions = []
        if question.type == "integer":
            if question.minimum is not None:
                extensions.append({"url": _MIN_VALUE_EXT, "valueInteger": question.minimum})
            if question.maximum is not None:
                extensions.append({"url": _MAX_VALUE_EXT, "valueInteger": question.maximum})
        if extensions:
            item["extension"] = extensions
        item.update({"text": question.text, "type": question.type, "required": question.required})
        if question.type == "choice":
            system = self.answer_system(question.id)
            item["answerOption"] = [
                {"valueCoding": _coding(system, self.version, c.code, c.label)}
                for c in question.choices or ()
            ]
        item["item"] = [
            {
                "extension": [
                    {
                        "url": _ITEM_CONTROL_EXT,
                        "valueCodeableConcept": {
                            "coding": [{"system": _ITEM_CONTROL, "code": "help", "display": "Help-Button"}]
                        },
                    }
                ],
                "linkId": f"{question.id}.help",
                "text": question.help,
                "type": "display",
            }
        ]
        return item

    def answer_codesystem(self, question_id: str) -> Json:
        question = self.questions[question_id]
        cs = self.artifact(
            "CodeSystem", fhir_id(question.id), f"{self.g.id}-{question.id}", f"Answers to: {question.text}"
        )
        cs.update(
            {
                "caseSensitive": True,
                "content": "complete",
                "count": len(question.choices or ()),
                "concept": [{"code": c.code, "display": c.label} for c in question.choices or ()],
            }
        )
        return cs

    def action_kind_codesystem(self) -> Json:
        cs = self.artifact(
            "CodeSystem", ACTION_KIND_CODESYSTEM_ID, f"{self.g.id}-action-kind", "Kinds of kneeguide action"
        )
        cs.update(
            {
                "caseSensitive": True,
                "content": "complete",
                "count": len(ACTION_KINDS),
                "concept": [{"code": code, "display": text} for code, text in ACTION_KINDS.items()],
            }
        )
        return cs

    # --- ActivityDefinitions ------------------------------------------------------------

    def activity_definition(self, rule: Rule) -> Json:
        """The advice of one action, as a proposal to tell the person (a CommunicationRequest)."""
        ad = self.artifact("ActivityDefinition", fhir_id(rule.id), rule.id, rule.item.title)
        ad.update(
            {
                "description": _markdown_advice(rule),
                "purpose": _purpose(rule),
                "relatedArtifact": [_citation(self.g.sources[s]) for s in _sources_of(rule)],
                "kind": "CommunicationRequest",
                "intent": "proposal",
                "priority": _priority(rule),
            }
        )
        return ad


# --- helpers that need only the content ---------------------------------------------------


def _coding(system: str, version: str, code: str, display: str) -> Json:
    return {"system": system, "version": version, "code": code, "display": display}


def _contact(name: str, url: str | None, email: str | None) -> Json:
    telecom = [{"system": "url", "value": url}] if url else []
    telecom += [{"system": "email", "value": email}] if email else []
    return {"name": name, "telecom": telecom} if telecom else {"name": name}


def _citation(src: Source) -> Json:
    return {
        "type": "citation",
        "label": src.id,
        "display": src.title,
        "citation": " ".join(_sentence(part) for part in (src.authors, src.title, _published(src))),
        "url": src.url,
    }


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _published(src: Source) -> str:
    """The publisher, with the year unless the publisher already gives it (as journals do)."""
    return src.publisher if str(src.year) in src.publisher else f"{src.publisher}, {src.year}"


def _sources_of(rule: Rule) -> list[str]:
    """A rule's sources, then its cautions' sources, each once, as the engine reports them."""
    from kneeguide.models import ThermalRule

    item = rule.item
    return item.cited if isinstance(item, ThermalRule) else list(item.sources)


def _priority(rule: Rule) -> str:
    from kneeguide.models import RedFlag

    item = rule.item
    return PRIORITY_OF_URGENCY[item.urgency if isinstance(item, RedFlag) else "self_care"]


def _advice(rule: Rule) -> str:
    """What the person is told, as plain text."""
    return _texts(rule)[0]


def _purpose(rule: Rule) -> str:
    """Why the advice is given, for clinicians."""
    return _texts(rule)[1]


def _texts(rule: Rule) -> tuple[str, str]:
    """The advice and its purpose: each kind of rule keeps them in different fields."""
    from kneeguide.models import RedFlag, ThermalRule

    item = rule.item
    if isinstance(item, RedFlag):
        return item.advice, item.clinician_note
    if isinstance(item, ThermalRule):
        return item.instructions, item.rationale
    grade = f"Evidence: {item.evidence.replace('_', ' ')}."
    return item.text, f"{grade} {item.evidence_note}" if item.evidence_note else grade


def _markdown_advice(rule: Rule) -> str:
    """The advice with its numbered instructions or cautions, as markdown."""
    from kneeguide.models import Step, ThermalRule

    item = rule.item
    parts = [_advice(rule)]
    if isinstance(item, Step) and item.how_to:
        parts.append("\n".join(f"{i}. {line}" for i, line in enumerate(item.how_to, start=1)))
    if isinstance(item, ThermalRule) and item.cautions:
        parts.append("Cautions:\n\n" + "\n".join(f"* {c.text}" for c in item.cautions))
    return "\n\n".join(parts)


def _always(condition: Condition) -> bool:
    from kneeguide.conditions import Const

    return isinstance(condition, Const) and condition.value


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
