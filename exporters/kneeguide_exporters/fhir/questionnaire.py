"""The Questionnaire of the question set and the CodeSystems its answers and items use.

One item per question (``linkId`` = question id, ``code`` from the
``kneeguide.question`` CodeSystem), integer ranges as the standard
``minValue``/``maxValue`` extensions, choices as codings of one CodeSystem
per choice question, and each help text as a nested ``display`` item.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .common import ACTION_KIND_CODESYSTEM_ID, Json, Urls, action_kinds, coding, fhir_id

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance
    from kneeguide.models import Question

    from .bundle import Artifacts

__all__ = ["QUESTION_CODESYSTEM_ID", "TOPIC_CODESYSTEM_ID", "Questions", "topic_code"]

QUESTION_CODESYSTEM_ID = "kneeguide.question"
TOPIC_CODESYSTEM_ID = "kneeguide.topic"

_ITEM_CONTROL = "http://hl7.org/fhir/questionnaire-item-control"
_ITEM_CONTROL_EXT = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
_MIN_VALUE_EXT = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE_EXT = "http://hl7.org/fhir/StructureDefinition/maxValue"


def topic_code(topic: str) -> str:
    """A code for a topic: ``leg cramps`` -> ``leg-cramps``."""
    return re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-") or "topic"


class Questions:
    """The Questionnaire and the CodeSystems of one guidance."""

    def __init__(self, guidance: Guidance, urls: Urls, artifacts: Artifacts) -> None:
        self.g = guidance
        self.urls = urls
        self.artifacts = artifacts
        self.questions = {q.id: q for q in guidance.questions}

    def questionnaire(self) -> Json:
        urls = self.urls
        q = self.artifacts.artifact(
            "Questionnaire", urls.plan_id, f"{self.g.id}-questions", self.g.metadata.title
        )
        q.update(
            {
                "subjectType": ["Patient"],
                "description": self.g.words(
                    "fhir.questionnaire_description", url=urls.url("PlanDefinition", urls.plan_id)
                ),
                "item": [self.item(question) for question in self.g.questions],
            }
        )
        return q

    def item(self, question: Question) -> Json:
        urls = self.urls
        item: Json = {"linkId": question.id}
        extensions = []
        if question.type == "integer":
            if question.minimum is not None:
                extensions.append({"url": _MIN_VALUE_EXT, "valueInteger": question.minimum})
            if question.maximum is not None:
                extensions.append({"url": _MAX_VALUE_EXT, "valueInteger": question.maximum})
        if extensions:
            item["extension"] = extensions
        item["code"] = [
            coding(urls.url("CodeSystem", QUESTION_CODESYSTEM_ID), urls.version, question.id, question.text)
        ]
        item.update({"text": question.text, "type": question.type, "required": question.required})
        if question.type == "choice":
            system = urls.answer_system(question.id)
            item["answerOption"] = [
                {"valueCoding": coding(system, urls.version, c.code, c.label)} for c in question.choices or ()
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

    def answer_codesystem(self, question: Question) -> Json:
        return self.codesystem(
            fhir_id(question.id),
            f"{self.g.id}-{question.id}",
            self.g.words("fhir.answers_to", text=question.text),
            [(c.code, c.label) for c in question.choices or ()],
        )

    def codesystems(self) -> list[Json]:
        """Every CodeSystem: one per choice question, then questions, topics and action kinds."""
        out = [self.answer_codesystem(q) for q in self.g.questions if q.type == "choice"]
        out.append(
            self.codesystem(
                QUESTION_CODESYSTEM_ID,
                f"{self.g.id}-question",
                self.g.words("fhir.questions_title"),
                [(q.id, q.text) for q in self.g.questions],
            )
        )
        out.append(
            self.codesystem(
                TOPIC_CODESYSTEM_ID,
                f"{self.g.id}-topic",
                self.g.words("fhir.topics_title"),
                [(topic_code(t), t) for t in dict.fromkeys(self.g.metadata.topics)],
            )
        )
        out.append(
            self.codesystem(
                ACTION_KIND_CODESYSTEM_ID,
                f"{self.g.id}-action-kind",
                self.g.words("fhir.kinds_title"),
                action_kinds(self.g),
            )
        )
        return out

    def codesystem(self, cs_id: str, name: str, title: str, concepts: list[tuple[str, str]]) -> Json:
        cs = self.artifacts.artifact("CodeSystem", cs_id, name, title)
        codes = [code for code, _ in concepts]
        if len(set(codes)) != len(codes):
            raise ValueError(f"CodeSystem {cs_id!r} would have a code twice")
        cs.update(
            {
                "caseSensitive": True,
                "content": "complete",
                "count": len(concepts),
                "concept": [{"code": code, "display": display} for code, display in concepts],
            }
        )
        return cs
