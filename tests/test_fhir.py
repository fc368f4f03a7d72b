"""The ``fhir`` export is valid FHIR R4 4.0.1 and carries the whole guidance.

Three independent views of validity: the official HL7 R4 JSON schema
(vendored, see tests/fhir/README.md), the ``fhirclient`` models generated
from 4.0.1, and hand-written checks of what neither can see: required
elements, required value-set bindings, invariants (pdf-0, exp-1 and the
Questionnaire, CodeSystem and Bundle ones that apply) and that every reference
resolves inside the Bundle.  Each checker is also shown to catch a planted
fault, so a checker that silently checks nothing cannot pass.  The round-trip
tests read the exported bytes back and find every rule, step, question and
source of the content in them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fhirclient.models.bundle import Bundle as FhirclientBundle
from fhirclient.models.fhirabstractbase import FHIRValidationError

from kneeguide.guidance import Guidance
from kneeguide.models import RedFlag, Step, ThermalRule
from kneeguide.plugins import PluginHost
from kneeguide_exporters import fhir

Json = dict[str, Any]
VENDORED = Path(__file__).parent / "fhir"
SCHEMA_SHA256 = "4091ab0911b2cb4d4d0730ed7fa4bbc5c5fec6caf62740bed2d6ffc721b7e37a"
CANONICAL_TYPES = ("PlanDefinition", "Library", "Questionnaire", "ActivityDefinition", "CodeSystem")
NAME_INVARIANT = re.compile(r"^[A-Z]([A-Za-z0-9_]){0,254}$")  # pdf-0, adf-0, que-0, csd-0


# --- fixtures -------------------------------------------------------------------------


@cache
def _schema() -> Json:
    with open(VENDORED / "fhir.schema.json", encoding="utf-8") as fh:
        schema: Json = json.load(fh)
    return schema


@pytest.fixture(scope="module")
def schema() -> Json:
    return _schema()


@pytest.fixture(scope="module")
def exported(guidance: Guidance) -> bytes:
    files = fhir.render(guidance)
    assert list(files) == [f"{guidance.id}.fhir.json"]
    data: bytes = files[f"{guidance.id}.fhir.json"]
    return data


@pytest.fixture
def bundle(exported: bytes) -> Json:
    """A fresh parse for each test, so a test may change it."""
    parsed: Json = json.loads(exported)
    return parsed


def resources(bundle: Json, resource_type: str) -> list[Json]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def plan(bundle: Json) -> Json:
    (pd,) = resources(bundle, "PlanDefinition")
    return pd


def questionnaire(bundle: Json) -> Json:
    (q,) = resources(bundle, "Questionnaire")
    return q


def by_canonical(bundle: Json) -> dict[str, Json]:
    """Canonical resources by ``url|version``."""
    return {
        f"{e['resource']['url']}|{e['resource']['version']}": e["resource"]
        for e in bundle["entry"]
        if "url" in e["resource"]
    }


def values_at(node: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path, stepping through lists (FHIRPath-style)."""
    if not path:
        yield from (node if isinstance(node, list) else [node])
        return
    head, _, rest = path.partition(".")
    for item in node if isinstance(node, list) else [node]:
        if isinstance(item, dict) and head in item:
            yield from values_at(item[head], rest)


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) in a JSON tree, containers included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


# --- the official schema ----------------------------------------------------------------


def test_vendored_schema_is_the_recorded_file() -> None:
    digest = hashlib.sha256((VENDORED / "fhir.schema.json").read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256, "tests/fhir/fhir.schema.json changed: update tests/fhir/README.md"


def test_vendored_schema_is_fhir_r4_4_0_1(schema: Json) -> None:
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    info = (VENDORED / "version.info").read_text(encoding="utf-8")
    assert re.search(r"^version=4\.0\.1$", info, re.MULTILINE)
    types = set(schema["discriminator"]["mapping"])
    r4_only = {"EffectEvidenceSynthesis", "RiskEvidenceSynthesis", "MedicinalProduct", "DeviceUseStatement"}
    r4b_or_r5 = {
        "Citation",
        "SubscriptionTopic",
        "ClinicalUseDefinition",
        "NutritionProduct",
        "ActorDefinition",
    }
    assert r4_only <= types
    assert not (r4b_or_r5 & types)
    jsonschema.Draft6Validator.check_schema(schema)


def _schema_errors(schema: Json, bundle: Json) -> Iterator[str]:
    """Every schema error: each resource against its own definition, then the Bundle around them.

    The official schema reads a Bundle entry's resource as a ``oneOf`` over
    every resource type, whose errors name the wrong branch, and which takes
    seconds to check.  Each definition fixes its ``resourceType`` (a
    ``const``), so at most one branch can match: checking each resource
    against its own type's definition, then the Bundle with those places
    open, is the same check with precise paths.
    """
    types = schema["discriminator"]["mapping"]
    for i, entry in enumerate(bundle.get("entry", [])):
        for where, resource in (
            ("", entry.get("resource")),
            (".response.outcome", entry.get("response", {}).get("outcome")),
        ):
            if resource is None:
                continue
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            if kind not in types:
                yield f"entry[{i}]{where}: resourceType {kind!r} is not an R4 resource type"
                continue
            own = {"definitions": schema["definitions"], "allOf": [{"$ref": types[kind]}]}
            for e in jsonschema.Draft6Validator(own).iter_errors(resource):
                yield (
                    f"entry[{i}]{where} {kind}/{resource.get('id')}: "
                    f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                )
    around = {"definitions": {**schema["definitions"], "ResourceList": {}}, "$ref": types["Bundle"]}
    for e in jsonschema.Draft6Validator(around).iter_errors(bundle):
        yield f"Bundle: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"


def schema_errors(schema: Json, bundle: Json) -> list[str]:
    """Every schema error of ``bundle`` (see ``_schema_errors``)."""
    return list(_schema_errors(schema, bundle))


def test_bundle_is_valid_against_the_official_r4_schema(schema: Json, bundle: Json) -> None:
    assert schema_errors(schema, bundle) == []


@pytest.mark.parametrize(
    "fault",
    [
        lambda b: plan(b).__setitem__("status", "published"),
        lambda b: plan(b)["action"][0].__setitem__("conditions", []),
        lambda b: plan(b)["action"][0]["condition"][0].__setitem__("kind", "sometimes"),
        lambda b: questionnaire(b).__setitem__("id", "has_underscore"),
        lambda b: questionnaire(b)["item"][0].__setitem__("required", "yes"),
        lambda b: b.__setitem__("type", "sometimes"),
        lambda b: b["entry"][0].__setitem__("fullUrl", 7),
        lambda b: b["entry"][0].__setitem__("resources", {}),
        lambda b: b["entry"][0]["resource"].__setitem__("resourceType", "Spasm"),
        lambda b: b["entry"][0].__setitem__(
            "response", {"status": "200", "outcome": {"resourceType": "Spasm"}}
        ),
    ],
    ids=[
        "bad-status",
        "unknown-element",
        "bad-condition-kind",
        "bad-id",
        "wrong-type",
        "bundle-type",
        "entry-field-type",
        "entry-unknown-field",
        "resource-type",
        "outcome-type",
    ],
)
def test_the_schema_check_catches_a_broken_bundle(
    schema: Json, bundle: Json, fault: Callable[[Json], None]
) -> None:
    fault(bundle)
    assert next(_schema_errors(schema, bundle), None) is not None


def test_only_standard_r4_resource_types_are_used(bundle: Json) -> None:
    """The vendored schema also defines Medplum's own resources; the export must not use them."""
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == set(CANONICAL_TYPES)


# --- fhirclient (models generated from FHIR 4.0.1) --------------------------------------


def test_fhirclient_reads_the_bundle_strictly_and_writes_it_back_unchanged(bundle: Json) -> None:
    parsed = FhirclientBundle(bundle, strict=True)
    assert parsed.as_json() == bundle


def test_fhirclient_refuses_a_missing_required_element(bundle: Json) -> None:
    del plan(bundle)["action"][0]["condition"][0]["kind"]
    with pytest.raises(FHIRValidationError, match="kind"):
        FhirclientBundle(bundle, strict=True)


# --- required elements and bindings (what the schema does not enforce) ------------------

REQUIRED: list[tuple[str, str, str]] = [
    # (resource type, path to the parent element, element that must be present)
    ("Bundle", "", "type"),
    ("Bundle", "entry", "resource"),
    ("PlanDefinition", "", "status"),
    ("PlanDefinition", "relatedArtifact", "type"),
    ("PlanDefinition", "useContext", "code"),
    ("PlanDefinition", "useContext", "value[x]"),
    ("PlanDefinition", "action.documentation", "type"),
    ("PlanDefinition", "action.condition", "kind"),
    ("PlanDefinition", "action.condition.expression", "language"),
    ("ActivityDefinition", "", "status"),
    ("ActivityDefinition", "relatedArtifact", "type"),
    ("Questionnaire", "", "status"),
    ("Questionnaire", "item", "linkId"),
    ("Questionnaire", "item", "type"),
    ("Questionnaire", "item.item", "linkId"),
    ("Questionnaire", "item.item", "type"),
    ("Questionnaire", "item.answerOption", "value[x]"),
    ("Questionnaire", "item.extension", "url"),
    ("Questionnaire", "item.extension", "value[x]"),
    ("CodeSystem", "", "status"),
    ("CodeSystem", "", "content"),
    ("CodeSystem", "concept", "code"),
]

PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
RELATED_ARTIFACT_TYPE = {
    "documentation",
    "justification",
    "citation",
    "predecessor",
    "successor",
    "derived-from",
    "depends-on",
    "composed-of",
}
REQUEST_PRIORITY = {"routine", "urgent", "asap", "stat"}
ITEM_TYPE = {
    "group",
    "display",
    "boolean",
    "decimal",
    "integer",
    "date",
    "dateTime",
    "time",
    "string",
    "text",
    "url",
    "choice",
    "open-choice",
    "attachment",
    "reference",
    "quantity",
}
BINDINGS: list[tuple[str, str, set[str]]] = [
    # required bindings in R4 4.0.1 (plus Expression.language, extensible, held to text/fhirpath)
    ("Bundle", "type", {
        "document", "message", "transaction", "transaction-response", "batch",
        "batch-response", "history", "searchset", "collection",
    }),
    ("PlanDefinition", "status", PUBLICATION_STATUS),
    ("PlanDefinition", "relatedArtifact.type", RELATED_ARTIFACT_TYPE),
    ("PlanDefinition", "action.action.documentation.type", RELATED_ARTIFACT_TYPE),
    ("PlanDefinition", "action.priority", REQUEST_PRIORITY),
    ("PlanDefinition", "action.action.priority", REQUEST_PRIORITY),
    ("PlanDefinition", "action.condition.kind", {"applicability", "start", "stop"}),
    ("PlanDefinition", "action.action.condition.kind", {"applicability", "start", "stop"}),
    ("PlanDefinition", "action.condition.expression.language", {"text/cql"}),
    ("PlanDefinition", "action.action.condition.expression.language", {"text/cql"}),
    ("PlanDefinition", "action.action.condition.expression.extension.valueExpression.language",
     {"text/fhirpath"}),
    ("PlanDefinition", "action.selectionBehavior", {
        "any", "all", "all-or-none", "exactly-one", "at-most-one", "one-or-more",
    }),
    ("PlanDefinition", "action.trigger.type", {
        "named-event", "periodic", "data-changed", "data-added", "data-modified", "data-removed",
        "data-accessed", "data-access-ended",
    }),
    ("Library", "status", PUBLICATION_STATUS),
    ("Library", "content.contentType", {"text/cql", "application/elm+json"}),
    ("PlanDefinition", "contact.telecom.system", {"phone", "fax", "email", "pager", "url", "sms", "other"}),
    ("ActivityDefinition", "status", PUBLICATION_STATUS),
    ("ActivityDefinition", "relatedArtifact.type", RELATED_ARTIFACT_TYPE),
    ("ActivityDefinition", "priority", REQUEST_PRIORITY),
    ("ActivityDefinition", "kind", {
        "Appointment", "AppointmentResponse", "CarePlan", "Claim", "CommunicationRequest", "Contract",
        "DeviceRequest", "EnrollmentRequest", "ImmunizationRecommendation", "MedicationRequest",
        "NutritionOrder", "ServiceRequest", "SupplyRequest", "Task", "VisionPrescription",
    }),
    ("ActivityDefinition", "intent", {
        "proposal", "plan", "directive", "order", "original-order", "reflex-order",
        "filler-order", "instance-order", "option",
    }),
    ("Questionnaire", "status", PUBLICATION_STATUS),
    ("Questionnaire", "item.type", ITEM_TYPE),
    ("Questionnaire", "item.item.type", ITEM_TYPE),
    ("CodeSystem", "status", PUBLICATION_STATUS),
    ("CodeSystem", "content", {"not-present", "example", "fragment", "complete", "supplement"}),
]  # fmt: skip


def _of_type(bundle: Json, resource_type: str) -> list[Json]:
    return [bundle] if resource_type == "Bundle" else resources(bundle, resource_type)


def missing_required(bundle: Json) -> list[str]:
    problems = []
    for resource_type, parent, element in REQUIRED:
        for res in _of_type(bundle, resource_type):
            for node in values_at(res, parent):
                present = (
                    any(k.startswith("value") for k in node) if element == "value[x]" else element in node
                )
                if not present:
                    problems.append(f"{resource_type}/{res.get('id')}: {parent or '(root)'} lacks {element}")
    return problems


def bad_codes(bundle: Json) -> list[str]:
    problems = []
    for resource_type, path, allowed in BINDINGS:
        for res in _of_type(bundle, resource_type):
            problems += [
                f"{resource_type}/{res.get('id')}.{path} = {v!r}"
                for v in values_at(res, path)
                if v not in allowed
            ]
    return problems


def test_every_required_element_is_present(bundle: Json) -> None:
    assert missing_required(bundle) == []


def test_every_required_binding_holds(bundle: Json) -> None:
    assert bad_codes(bundle) == []


def test_the_bound_elements_are_really_there(bundle: Json) -> None:
    """Guard against a binding check that passes because its path matches nothing."""
    for resource_type, path, _ in BINDINGS:
        if path.startswith("contact"):
            continue
        assert any(True for res in _of_type(bundle, resource_type) for _ in values_at(res, path)), path


# --- invariants ---------------------------------------------------------------------------


def broken_invariants(bundle: Json) -> list[str]:
    problems = []
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    if len(set(full_urls)) != len(full_urls):
        problems.append("bdl-7: fullUrl is not unique")
    for entry in bundle["entry"]:
        res = entry["resource"]
        label = f"{res['resourceType']}/{res.get('id')}"
        if "/_history/" in entry["fullUrl"]:
            problems.append(f"bdl-8: {label} fullUrl is version specific")
        if not entry["fullUrl"].endswith(f"/{res['resourceType']}/{res.get('id')}"):
            problems.append(f"{label}: fullUrl {entry['fullUrl']} disagrees with the resource id")
        if res["resourceType"] in CANONICAL_TYPES and not NAME_INVARIANT.match(res.get("name", "")):
            problems.append(f"pdf-0/adf-0/que-0/csd-0: {label} name {res.get('name')!r}")
    pd = plan(bundle)
    expressions = [
        *values_at(pd, "action.condition.expression"),
        *values_at(pd, "action.action.condition.expression"),
    ]
    for expression in expressions:
        for e in (expression, *values_at(expression, "extension.valueExpression")):
            if not (e.get("expression") or e.get("reference")):
                problems.append(f"exp-1: an Expression has neither expression nor reference: {e}")
    action_ids = [a.get("id") for a in [*values_at(pd, "action"), *values_at(pd, "action.action")]]
    if len(set(action_ids)) != len(action_ids):
        problems.append("PlanDefinition action ids are not unique")
    q = questionnaire(bundle)
    link_ids = [i["linkId"] for i in values_at(q, "item")] + [i["linkId"] for i in values_at(q, "item.item")]
    if len(set(link_ids)) != len(link_ids):
        problems.append("que-2: linkIds are not unique")
    for item in [*values_at(q, "item"), *values_at(q, "item.item")]:
        if item["type"] == "display" and ("required" in item or "repeats" in item or "item" in item):
            problems.append(f"que-6/que-1: display item {item['linkId']} is required, repeats or has items")
        if "answerOption" in item and item["type"] not in ("choice", "open-choice"):
            problems.append(f"que-5: {item['linkId']} has answerOption but is {item['type']}")
        if "answerOption" in item and "answerValueSet" in item:
            problems.append(f"que-4: {item['linkId']} has answerOption and answerValueSet")
    for cs in resources(bundle, "CodeSystem"):
        codes = [c["code"] for c in cs.get("concept", [])]
        if len(set(codes)) != len(codes):
            problems.append(f"csd-1: CodeSystem/{cs['id']} repeats a code")
        if cs.get("count") != len(codes):
            problems.append(f"CodeSystem/{cs['id']} count {cs.get('count')} != {len(codes)} concepts")
    return problems


def test_invariants_hold(bundle: Json) -> None:
    assert broken_invariants(bundle) == []


def test_names_follow_pdf_0_even_for_awkward_ids() -> None:
    for text in ("knee-muscle-spasm", "a", "x_1_y", "9lives", "--a--b"):
        assert NAME_INVARIANT.match(fhir.artifact_name(text)), text
    assert fhir.artifact_name("knee-muscle-spasm") == "KneeMuscleSpasm"


# --- references ---------------------------------------------------------------------------

CANONICAL_ELEMENTS = ("definitionCanonical", "resource", "questionnaire", "library")


def unresolved(bundle: Json, base: str) -> list[str]:
    """Every reference that does not resolve inside the Bundle, or is not pinned."""
    canon = by_canonical(bundle)
    urls = {c.split("|")[0]: res for c, res in canon.items()}
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    problems = []
    for path, node in walk(bundle):
        key = path.rsplit(".", 1)[-1]
        if isinstance(node, str) and key in CANONICAL_ELEMENTS:
            if "|" not in node:
                problems.append(f"{path}: canonical {node} is not pinned url|version")
            elif node not in canon:
                problems.append(f"{path}: {node} is not in the Bundle")
        elif isinstance(node, str) and key == "reference" and node not in full_urls:
            problems.append(f"{path}: reference {node} is not in the Bundle")
        elif (
            isinstance(node, dict) and isinstance(node.get("system"), str) and node["system"].startswith(base)
        ):
            cs = urls.get(node["system"])
            if cs is None or cs["resourceType"] != "CodeSystem":
                problems.append(f"{path}: code system {node['system']} is not in the Bundle")
            elif node.get("version") != cs["version"]:
                problems.append(f"{path}: code system version {node.get('version')} != {cs['version']}")
            elif node.get("code") not in {c["code"] for c in cs["concept"]}:
                problems.append(f"{path}: {node.get('code')!r} is not a code of {node['system']}")
        elif (
            isinstance(node, str)
            and node.startswith(base)
            and key not in ("url", "fullUrl", "system")
            and node not in canon
            and node not in full_urls
        ):
            problems.append(f"{path}: {node} points into the guidance but resolves to nothing")
    return problems


def test_every_reference_resolves_inside_the_bundle(bundle: Json, guidance: Guidance) -> None:
    assert unresolved(bundle, guidance.metadata.url) == []
    pinned = [v for p, v in walk(bundle) if isinstance(v, str) and p.endswith("definitionCanonical")]
    assert len(pinned) == len(list(guidance.rules())) + 1  # and the validity gate


def _unpin(b: Json) -> None:
    action = plan(b)["action"][0]
    action["definitionCanonical"] = action["definitionCanonical"].split("|")[0]


def _other_version(b: Json) -> None:
    action = plan(b)["action"][0]
    action["definitionCanonical"] += ".1"


def _first_expression(b: Json) -> Json:
    expression: Json = plan(b)["action"][0]["condition"][0]["expression"]
    return expression


@pytest.mark.parametrize(
    "fault",
    [
        _unpin,
        _other_version,
        lambda b: b["entry"].pop(),
        lambda b: questionnaire(b)["item"][1]["answerOption"][0]["valueCoding"].__setitem__("code", "elbow"),
        lambda b: plan(b)["action"][0]["code"][0]["coding"][0].__setitem__("version", "0.0.1"),
        lambda b: plan(b).__setitem__("subjectReference", {"reference": "Group/nobody"}),
    ],
    ids=["unpinned", "wrong-version", "missing-resource", "unknown-code", "code-system-version", "reference"],
)
def test_the_reference_check_catches_a_dangling_reference(
    bundle: Json, guidance: Guidance, fault: Callable[[Json], None]
) -> None:
    assert questionnaire(bundle)["item"][1]["type"] == "choice"
    fault(bundle)
    assert unresolved(bundle, guidance.metadata.url)


@pytest.mark.parametrize(
    ("checker", "fault"),
    [
        (missing_required, lambda b: plan(b).pop("status")),
        (missing_required, lambda b: _first_expression(b).pop("language")),
        (bad_codes, lambda b: plan(b)["action"][0].__setitem__("priority", "emergency")),
        (bad_codes, lambda b: plan(b)["relatedArtifact"][0].__setitem__("type", "cites")),
        (bad_codes, lambda b: _first_expression(b).__setitem__("language", "text/fhirpath")),
        (bad_codes, lambda b: questionnaire(b)["item"][0].__setitem__("type", "number")),
        (broken_invariants, lambda b: plan(b).__setitem__("name", "knee-muscle-spasm")),
        (broken_invariants, lambda b: _first_expression(b).pop("expression")),
        (broken_invariants, lambda b: questionnaire(b)["item"][1].__setitem__("linkId", "age_years")),
        (broken_invariants, lambda b: b["entry"][1].__setitem__("fullUrl", b["entry"][0]["fullUrl"])),
    ],
    ids=[
        "no-status", "no-language", "priority", "artifact-type", "language",
        "item-type", "pdf-0", "exp-1", "que-2", "bdl-7",
    ],
)  # fmt: skip
def test_the_hand_written_checks_catch_a_planted_fault(
    bundle: Json, checker: Callable[[Json], list[str]], fault: Callable[[Json], None]
) -> None:
    assert checker(bundle) == []
    fault(bundle)
    assert checker(bundle)


# --- round trip: the content is all there --------------------------------------------------


def _advice(item: RedFlag | ThermalRule | Step) -> str:
    if isinstance(item, RedFlag):
        return item.advice
    if isinstance(item, ThermalRule):
        return item.instructions
    return item.text


def leaves(pd: Json) -> list[Json]:
    """The actions that are not groups, in order."""
    return [leaf for a in pd["action"] for leaf in a.get("action", [a])]


def test_round_trip_finds_every_rule_and_step(bundle: Json, guidance: Guidance) -> None:
    pd = plan(bundle)
    canon = by_canonical(bundle)
    actions = {a["id"]: a for a in leaves(pd)}
    rules = list(guidance.rules())
    assert [a["id"] for a in leaves(pd)] == ["answers_incomplete", *(r.id for r in rules)]
    for rule in rules:
        item = rule.item
        action = actions[rule.id]
        assert action["title"] == item.title
        assert action["description"] == _advice(item)
        assert _advice(item) in action["textEquivalent"]
        assert action["code"][0]["coding"][0]["code"] == rule.kind
        (condition,) = action["condition"]
        assert condition["expression"]["description"]
        sources = list(item.sources)
        if isinstance(item, ThermalRule):
            sources += [s for c in item.cautions for s in c.sources if s not in sources]
        assert [d["label"] for d in action["documentation"]] == list(dict.fromkeys(sources))
        ad = canon[action["definitionCanonical"]]
        assert ad["resourceType"] == "ActivityDefinition"
        assert ad["title"] == item.title
        assert _advice(item) in ad["description"]
        assert ad["code"]["text"] == ad["description"]  # what $apply puts in the CommunicationRequest
        assert [r["label"] for r in ad["relatedArtifact"]] == [d["label"] for d in action["documentation"]]
        if isinstance(item, Step):
            assert all(line in ad["description"] for line in item.how_to)
            assert item.evidence_note is None or item.evidence_note in ad["purpose"]
        if isinstance(item, ThermalRule):
            assert all(c.text in ad["description"] for c in item.cautions)
            assert ad["purpose"] == item.rationale
        if isinstance(item, RedFlag):
            assert ad["purpose"] == item.clinician_note


def test_red_flag_urgency_maps_to_request_priority(bundle: Json, guidance: Guidance) -> None:
    assert dict(fhir.PRIORITY_OF_URGENCY) == {
        "emergency": "stat",
        "urgent": "asap",
        "soon": "urgent",
        "self_care": "routine",
    }
    actions = {a["id"]: a for a in leaves(plan(bundle))}
    assert actions["answers_incomplete"]["priority"] == "urgent"
    for rf in guidance.red_flags:
        assert actions[rf.id]["priority"] == fhir.PRIORITY_OF_URGENCY[rf.urgency]
    others = [r.id for r in guidance.rules() if r.kind != "red_flag"]
    assert {actions[i]["priority"] for i in others} == {"routine"}


def test_round_trip_finds_every_source(bundle: Json, guidance: Guidance) -> None:
    citations = [r for r in plan(bundle)["relatedArtifact"] if r["type"] == "citation"]
    assert [c["label"] for c in citations] == list(guidance.sources)
    for citation in citations:
        src = guidance.sources[citation["label"]]
        assert citation["url"] == src.url
        assert citation["display"] == src.title
        assert src.authors in citation["citation"] and src.title in citation["citation"]
        assert str(src.year) in citation["citation"]


def test_round_trip_finds_every_question(bundle: Json, guidance: Guidance) -> None:
    q = questionnaire(bundle)
    items = q["item"]
    assert [i["linkId"] for i in items] == [question.id for question in guidance.questions]
    canon = by_canonical(bundle)
    for question, item in zip(guidance.questions, items, strict=True):
        assert item["type"] == question.type
        assert item["required"] is question.required
        assert item["text"] == question.text
        (help_item,) = item["item"]
        assert help_item["type"] == "display" and help_item["text"] == question.help
        limits = {e["url"].rsplit("/", 1)[-1]: e["valueInteger"] for e in item.get("extension", [])}
        if question.type == "integer":
            assert limits == {"minValue": question.minimum, "maxValue": question.maximum}
        else:
            assert limits == {}
        if question.type == "choice":
            codings = [o["valueCoding"] for o in item["answerOption"]]
            assert [(c["code"], c["display"]) for c in codings] == [
                (c.code, c.label) for c in question.choices or ()
            ]
            cs = canon[f"{codings[0]['system']}|{codings[0]['version']}"]
            assert [c["code"] for c in cs["concept"]] == [c.code for c in question.choices or ()]
        else:
            assert "answerOption" not in item
    depends = [r for r in plan(bundle)["relatedArtifact"] if r["type"] == "depends-on"]
    assert [canon[r["resource"]]["id"] for r in depends] == [q["id"]]


def test_plan_definition_carries_the_knowledge_artifact_metadata(bundle: Json, guidance: Guidance) -> None:
    meta = guidance.metadata
    pd = plan(bundle)
    base = meta.url.rstrip("/")
    assert pd["url"] == f"{base}/PlanDefinition/{pd['id']}"
    assert pd["version"] == meta.version
    assert pd["type"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
            "code": "eca-rule",
            "display": "ECA Rule",
        }
    ]
    expected = {
        "title": meta.title,
        "status": meta.status,
        "experimental": meta.experimental,
        "publisher": meta.publisher,
        "description": meta.description,
        "purpose": meta.purpose,
        "usage": meta.intended_use,
        "copyright": meta.copyright,
        "approvalDate": meta.approval_date.isoformat(),
        "lastReviewDate": meta.last_review_date.isoformat(),
        "effectivePeriod": {"start": meta.approval_date.isoformat(), "end": meta.next_review_due.isoformat()},
    }
    assert {k: pd[k] for k in expected} == expected
    assert pd["date"] in {e.date.isoformat() for e in meta.change_log}
    assert [c["name"] for c in pd["contact"]] == [c.name for c in meta.contact]
    assert [j["coding"][0]["code"] for j in pd["jurisdiction"]] == list(meta.jurisdiction)
    assert [t["coding"][0]["display"] for t in pd["topic"]] == list(meta.topics)
    assert pd["useContext"][0]["valueCodeableConcept"] == pd["topic"][0]
    assert pd["library"] == [f"{base}/Library/{pd['id']}|{meta.version}"]
    assert pd["subjectCodeableConcept"]["coding"][0]["code"] == "Patient"
    assert pd["identifier"][0] == {"use": "official", "system": "urn:ietf:rfc:3986", "value": pd["url"]}
    assert (
        "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-computableplandefinition" in pd["meta"]["profile"]
    )
    capability = "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-knowledgeCapability"
    assert "executable" in {e["valueCode"] for e in pd["extension"] if e["url"] == capability}
    groups = {a["id"]: a.get("selectionBehavior") for a in pd["action"]}
    assert groups == {
        "answers_incomplete": None,
        "red_flags": "any",
        "thermal": "exactly-one",
        "relief": "any",
        "prevention": "any",
    }
    assert all(a["trigger"][0]["data"][0]["type"] == "QuestionnaireResponse" for a in pd["action"])
    assert pd["useContext"][0]["code"]["code"] == "focus"
    assert [a["name"] for a in pd["author"]] == [a.name for a in meta.authors]
    assert [r["name"] for r in pd["reviewer"]] == [r.name for r in meta.reviewers]


# --- determinism and registration ---------------------------------------------------------


def test_export_is_byte_identical_across_runs_and_processes(
    guidance: Guidance, exported: bytes, tmp_path: Path
) -> None:
    assert fhir.render(guidance)[f"{guidance.id}.fhir.json"] == exported
    for seed in ("0", "12345"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed, "KNEEGUIDE_DISABLED_PLUGINS": ""}
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "kneeguide.cli",
                "export",
                "fhir",
                "-o",
                str(out),
                "--guidance",
                str(guidance.folder),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert (out / f"{guidance.id}.fhir.json").read_bytes() == exported


def test_no_timestamp_but_the_guidance_dates(bundle: Json, guidance: Guidance) -> None:
    meta = guidance.metadata
    allowed = {
        meta.approval_date,
        meta.last_review_date,
        meta.next_review_due,
        *(e.date for e in meta.change_log),
    }
    dated = [v for _, v in walk(bundle) if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d.*", v)]
    assert dated and {v for v in dated} <= {d.isoformat() for d in allowed}
    assert not [p for p, _ in walk(bundle) if p.endswith(("timestamp", "lastUpdated"))]


def test_the_fhir_format_is_registered_through_its_entry_point() -> None:
    (fmt,) = fhir.kneeguide_formats()
    assert (fmt.name, fmt.media_type) == ("fhir", "application/fhir+json")
    provided = PluginHost.discover(disabled=[]).formats["fhir"]
    assert provided.distribution == "kneeguide" and provided.format.render is fhir.render


# --- the Library: CQL and ELM of the same defines ----------------------------------------


def _library(bundle: Json) -> tuple[str, Json]:
    import base64

    (lib,) = resources(bundle, "Library")
    by_type = {c["contentType"]: base64.b64decode(c["data"]) for c in lib["content"]}
    elm: Json = json.loads(by_type["application/elm+json"].decode("ascii"))  # Encender reads it as ASCII
    return by_type["text/cql"].decode("utf-8"), elm


def test_the_library_has_one_define_per_definition_in_both_languages(
    bundle: Json, guidance: Guidance
) -> None:
    cql, elm = _library(bundle)
    names = [d["name"] for d in elm["library"]["statements"]["def"]]
    assert len(names) == len(set(names))
    quoted = re.findall(r'^define (?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*)):$', cql, re.MULTILINE)
    assert [a or b for a, b in quoted] == names
    dm = guidance.decisions
    assert {d.name for d in dm.definitions} <= set(names)
    pd = plan(bundle)
    conditions = [c["expression"]["expression"] for a in pd["action"] for c in a.get("condition", [])]
    conditions += [
        c["expression"]["expression"]
        for a in pd["action"]
        for x in a.get("action", [])
        for c in x["condition"]
    ]
    assert set(conditions) <= set(names)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", c) for c in conditions)  # plain CQL identifiers
    assert elm["library"]["identifier"] == {"id": pd["name"], "version": pd["version"]}
    assert cql.startswith(f"library {pd['name']} version '{pd['version']}'\n")


def test_every_reference_in_the_elm_names_a_define(bundle: Json) -> None:
    _, elm = _library(bundle)
    names = {d["name"] for d in elm["library"]["statements"]["def"]}
    refs = {
        node["name"]
        for _, node in walk(elm)
        if isinstance(node, dict) and node.get("type") == "ExpressionRef"
    }
    assert refs and refs <= names
