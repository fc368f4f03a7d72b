"""What every part of the ``fhir`` export shares: ids, names, URLs and the content's texts.

Nothing here decides anything: these helpers turn content fields into FHIR
elements, so every resource spells an id, a citation or a piece of advice the
same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance, Rule
    from kneeguide.models import Source

__all__ = [
    "ACTION_KINDS",
    "ACTION_KIND_CODESYSTEM_ID",
    "FHIR_VERSION",
    "PRIORITY_OF_URGENCY",
    "Json",
    "Urls",
    "action_kinds",
    "advice",
    "artifact_name",
    "citation",
    "fhir_id",
]

Json = dict[str, Any]

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
"""The CodeSystem naming the kinds of action.  The '.' keeps it apart from the
answer CodeSystems, whose ids come from question ids (which never contain a '.')."""

ACTION_KINDS: tuple[str, ...] = ("red_flag", "thermal", "relief", "prevention", "answers_incomplete")
"""The codes of the action-kind CodeSystem; each display is the UI string ``fhir.kind.<code>``."""


def action_kinds(guidance: Guidance) -> list[tuple[str, str]]:
    """Each kind of action's code and its display in the guidance's locale."""
    return [(kind, guidance.words(f"fhir.kind.{kind}")) for kind in ACTION_KINDS]


_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_ARTIFACT_NAME = re.compile(r"^[A-Z]([A-Za-z0-9_]){0,254}$")  # invariant pdf-0 (and adf-0, qst-0, csd-0)


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


class Urls:
    """The canonical URLs of one guidance's resources: ``<guideline url>/<type>/<id>``."""

    def __init__(self, guidance: Guidance) -> None:
        self.base = guidance.metadata.url.rstrip("/")
        self.version = guidance.metadata.version
        self.plan_id = fhir_id(guidance.id)

    def url(self, resource_type: str, resource_id: str) -> str:
        return f"{self.base}/{resource_type}/{resource_id}"

    def pinned(self, resource_type: str, resource_id: str) -> str:
        return f"{self.url(resource_type, resource_id)}|{self.version}"

    def answer_system(self, question_id: str) -> str:
        return self.url("CodeSystem", fhir_id(question_id))

    def kind_system(self) -> str:
        return self.url("CodeSystem", ACTION_KIND_CODESYSTEM_ID)


def coding(system: str, version: str, code: str, display: str) -> Json:
    return {"system": system, "version": version, "code": code, "display": display}


def contact(name: str, url: str | None, email: str | None) -> Json:
    telecom = [{"system": "url", "value": url}] if url else []
    telecom += [{"system": "email", "value": email}] if email else []
    return {"name": name, "telecom": telecom} if telecom else {"name": name}


def citation(src: Source) -> Json:
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


def sources_of(rule: Rule) -> list[str]:
    """A rule's sources, then its cautions' sources, each once, as the engine reports them."""
    from kneeguide.models import ThermalRule

    item = rule.item
    return item.cited if isinstance(item, ThermalRule) else list(item.sources)


def priority(rule: Rule) -> str:
    from kneeguide.models import RedFlag

    item = rule.item
    return PRIORITY_OF_URGENCY[item.urgency if isinstance(item, RedFlag) else "self_care"]


def advice(rule: Rule) -> str:
    """What the person is told, as plain text."""
    from kneeguide.models import RedFlag, ThermalRule

    item = rule.item
    if isinstance(item, RedFlag):
        return item.advice
    return item.instructions if isinstance(item, ThermalRule) else item.text


def purpose(guidance: Guidance, rule: Rule) -> str:
    """Why the advice is given, for clinicians: each kind of rule keeps it in a different field."""
    from kneeguide.models import RedFlag, ThermalRule

    item = rule.item
    if isinstance(item, RedFlag):
        return item.clinician_note
    if isinstance(item, ThermalRule):
        return item.rationale
    label = guidance.words(f"evidence.{item.evidence}")
    grade = guidance.words("fhir.evidence", grade=label[:1].lower() + label[1:])
    return f"{grade} {item.evidence_note}" if item.evidence_note else grade


def markdown_advice(guidance: Guidance, rule: Rule) -> str:
    """The advice with its numbered instructions or cautions, as markdown."""
    from kneeguide.models import Step, ThermalRule

    item = rule.item
    parts = [advice(rule)]
    if isinstance(item, Step) and item.how_to:
        parts.append("\n".join(f"{i}. {line}" for i, line in enumerate(item.how_to, start=1)))
    if isinstance(item, ThermalRule) and item.cautions:
        cautions = "\n".join(f"* {c.text}" for c in item.cautions)
        parts.append(f"{guidance.words('fhir.cautions')}\n\n{cautions}")
    return "\n\n".join(parts)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
