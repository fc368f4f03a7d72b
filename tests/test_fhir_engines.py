"""Real FHIR engines run the exported Bundle, exactly as exported, and agree with ``assess``.

* Encender (MITRE's ``PlanDefinition/$apply`` on cql-execution): its
  RequestGroup selects the same red flags, ice or heat rule and steps, and
  each CommunicationRequest holds the advice text;
* cql-execution with cql-exec-fhir: the Library's ELM, every condition
  exactly true or false (never null);
* fhirpath.js: each condition's FHIRPath form.

cql-execution runs on every clinical vignette (over the baseline), on
incomplete responses (a blank required answer, including beside a certain
emergency) and on out-of-range ones, where the validity gate fires and no
self-care action can.  Encender and fhirpath.js, each more than a second
per response, run on few responses that select every action once and leave
it out once (``covering``), the gate and an emergency beside it among them,
chosen from those cases and from complete answer sets drawn from a fixed
seed (a vignette shows only the few actions of its story; a drawn set can
select many); test_fhir_differential.py runs fhirpath.js on hypothesis's
answer sets too.
``kneeguide apply`` (in process) gives the same RequestGroup as Encender,
and its RequestGroup and CarePlan are valid R4.  The engines are
npm packages pinned in tests/fhir-engines (``npm ci --prefix
tests/fhir-engines``); the JavaScript driver is tests/fhir-engines/run.mjs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fhir_support import GATE, Json, expected_actions, questionnaire_response
from kneeguide.guidance import Guidance
from kneeguide_exporters import fhir
from kneeguide_exporters.fhir.apply import apply
from strategies import drawn_answer_sets
from yaml_data import load_data

pytestmark = pytest.mark.engines

HERE = Path(__file__).parent
ENGINES = HERE / "fhir-engines"
DRIVER = ENGINES / "run.mjs"
BASELINE: dict[str, Any] = load_data(HERE / "vignettes" / "baseline.yaml")["baseline"]


def _vignettes() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted((HERE / "vignettes").glob("*.yaml")):
        if path.name != "baseline.yaml":
            cases += [(c["id"], {**BASELINE, **c["answers"]}) for c in load_data(path)["vignettes"]]
    return cases


def _without(answers: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k not in names}


VIGNETTES = _vignettes()
_BY_ID = dict(VIGNETTES)
INCOMPLETE: list[tuple[str, dict[str, Any]]] = [
    ("blank chest pain", _without(BASELINE, "chest_pain_or_breathless")),
    ("blank pain score", _without(BASELINE, "pain_score")),
    ("nothing answered", {}),
    ("pain score 11", {**BASELINE, "pain_score": 11}),
    ("age -1", {**BASELINE, "age_years": -1}),
    ("unknown muscle code", {**BASELINE, "muscle": "elbow"}),
    ("DVT, blank trigger", _without(_BY_ID["dvt_after_long_flight"], "trigger")),
    ("only an optional answer", {"sedentary": True}),
]
"""Responses the gate must catch; with an emergency certain where the answers given show one."""


def _emergencies() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, answers in VIGNETTES:
        if (
            flags := [q for q in ("chest_pain_or_breathless", "leg_cold_pale_or_blue") if answers.get(q)]
        ) and (blank := [q for q in ("pain_score", "muscle", "weeks_with_symptoms") if q in answers]):
            out.append((f"{name}, blank {blank[0]} ({flags[0]})", _without(answers, blank[0])))
    return out[:3]


CASES = [*VIGNETTES, *INCOMPLETE, *_emergencies()]
BESIDE_GATE = frozenset(range(len(VIGNETTES) + len(INCOMPLETE), len(CASES)))
"""The indices in ``CASES`` of the responses with a certain emergency beside a blank answer."""


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    for package in ("encender", "cql-execution", "cql-exec-fhir", "fhirpath"):
        if not (ENGINES / "node_modules" / package).is_dir():
            return f"the npm package {package} is not installed (npm ci --prefix tests/fhir-engines)"
    return None


@cache
def _bundle_bytes(guidance_id: str) -> bytes:
    from kneeguide import load

    g = load()
    assert g.id == guidance_id
    return fhir.render(g)[f"{g.id}.fhir.json"]


@pytest.fixture(scope="module")
def exported(guidance: Guidance) -> Json:
    parsed: Json = json.loads(_bundle_bytes(guidance.id))
    return parsed


@pytest.fixture(scope="module")
def questionnaire(exported: Json) -> Json:
    (q,) = [e["resource"] for e in exported["entry"] if e["resource"]["resourceType"] == "Questionnaire"]
    return q


@pytest.fixture(scope="module")
def responses(questionnaire: Json) -> list[Json]:
    return [questionnaire_response(questionnaire, answers) for _, answers in CASES]


DRAWN = 2000
"""How many drawn answer sets ``covering`` may choose from besides ``CASES``."""


def pool(guidance: Guidance) -> list[tuple[str, dict[str, Any]]]:
    """``CASES``, then ``DRAWN`` complete answer sets drawn from a fixed seed (indices past ``CASES``)."""
    drawn = drawn_answer_sets(guidance, DRAWN)
    return [*CASES, *((f"drawn answer set {n}", answers) for n, answers in enumerate(drawn))]


def covering(expected: list[set[tuple[str | None, str]]]) -> list[int]:
    """Indices of responses, few, that select every action once and leave it out once.

    Encender and fhirpath.js take more than a second per response; the
    responses picked (greedily, in order) still show them each action both
    ways, the gate and a certain emergency beside it included, while
    cql-execution runs on every case.
    """
    actions = set().union(*expected)
    needed = {(a, True) for a in actions} | {(a, False) for a in actions if any(a not in e for e in expected)}
    picked: list[int] = []
    while needed:
        gains = [len(needed & ({(a, a in e) for a in actions})) for e in expected]
        best = max(range(len(expected)), key=gains.__getitem__)
        picked.append(best)
        needed -= {(a, a in expected[best]) for a in actions}
    return sorted(picked)


@pytest.fixture(scope="module")
def engine_run(
    exported: Json, questionnaire: Json, responses: list[Json], guidance: Guidance
) -> dict[str, Any]:
    """The driver's results: cql on every case, Encender and fhirpath on ``covering`` ones.

    ``cases`` names, per engine, the index in ``pool`` of each result (the
    cases come first, so a case keeps its index in ``CASES``), and
    ``responses`` the response at each index.  The two runs go side by side.
    A missing engine fails, never skips.
    """
    everything = list(range(len(CASES)))
    chosen = pool(guidance)
    some = covering([expected_actions(guidance, answers) for _, answers in chosen])
    some = sorted({*some, min(BESIDE_GATE)})  # a certain emergency beside the gate, whatever else is picked
    by_index = dict(enumerate(responses))
    by_index.update({i: questionnaire_response(questionnaire, chosen[i][1]) for i in some if i >= len(CASES)})
    with ThreadPoolExecutor(2) as threads:
        slow = threads.submit(drive, exported, [by_index[i] for i in some], ["encender"])
        fast = drive(exported, responses, ["cql"])
        fast_path = drive(exported, [by_index[i] for i in some], ["fhirpath"])
        apply_run = slow.result()
    return {
        "results": {**fast["results"], **fast_path["results"], **apply_run["results"]},
        "ms": {**fast["ms"], **fast_path["ms"], **apply_run["ms"]},
        "cases": {"cql": everything, "fhirpath": some, "encender": some},
        "pool": chosen,
        "responses": by_index,
    }


def _cases(engine_run: dict[str, Any], engine: str) -> list[tuple[int, str, dict[str, Any], Any]]:
    """(index in the pool, name, answers, result) of each response ``engine`` ran."""
    indices, results = engine_run["cases"][engine], engine_run["results"][engine]
    return [(i, *engine_run["pool"][i], result) for i, result in zip(indices, results, strict=True)]


def drive(
    bundle: Json, responses: list[Json], engines: list[str], timeout: int = 600, node_options: str = ""
) -> dict[str, Any]:
    """The driver's output for ``engines`` on ``responses``.  A missing engine fails, never skips."""
    missing = _missing()
    if missing:
        pytest.fail(missing)
    payload = json.dumps({"bundle": bundle, "responses": responses, "engines": engines})
    run = subprocess.run(
        ["node", str(DRIVER)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "NODE_OPTIONS": node_options},
    )
    assert run.returncode == 0, run.stderr[-4000:]
    result: dict[str, Any] = json.loads(run.stdout)
    return result


@contextmanager
def serving(bundle: Json, engines: list[str]) -> Iterator[Callable[[Json], dict[str, Json]]]:
    """``ask(response)``: each engine's result for one response, from one driver process.

    The driver (``run.mjs --lines``) reads the Bundle once and then answers a
    line per response, so a property test can ask as it draws.
    """
    missing = _missing()
    if missing:
        pytest.fail(missing)
    driver = subprocess.Popen(
        ["node", str(DRIVER), "--lines"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert driver.stdin is not None and driver.stdout is not None
    stdin, stdout = driver.stdin, driver.stdout

    def ask(response: Json) -> dict[str, Json]:
        stdin.write(json.dumps(response) + "\n")
        stdin.flush()
        line = stdout.readline()
        assert line, driver.stderr.read()[-4000:] if driver.stderr else "the driver stopped"
        answer: dict[str, Json] = json.loads(line)
        return answer

    try:
        stdin.write(json.dumps({"bundle": bundle, "engines": engines}) + "\n")
        yield ask
    finally:
        stdin.close()
        try:
            assert driver.wait(timeout=60) == 0, driver.stderr.read()[-4000:] if driver.stderr else ""
        finally:
            driver.kill()
            stdout.close()
            if driver.stderr:
                driver.stderr.close()


def _selected(result: Json) -> set[tuple[str | None, str]]:
    return {(group, action) for group, action in result["actions"]}


@pytest.mark.parametrize("engine", ["encender", "cql", "fhirpath"])
def test_each_engine_selects_what_assess_or_the_gate_selects(
    engine: str, engine_run: dict[str, Any], guidance: Guidance
) -> None:
    wrong = []
    for _, name, answers, result in _cases(engine_run, engine):
        expected = expected_actions(guidance, answers)
        if _selected(result) != expected or result["nulls"]:
            got = _selected(result)
            wrong.append(
                f"{name}: missing {sorted(expected - got)}, extra {sorted(got - expected)}, "
                f"null {result['nulls']}"
            )
    assert wrong == []


def test_the_gate_fires_and_no_self_care_on_every_incomplete_response(engine_run: dict[str, Any]) -> None:
    # Past the vignettes every case is incomplete or out of range; the drawn sets are complete.
    gated = {i for i, (name, _) in enumerate(CASES) if (name, _) in INCOMPLETE or i >= len(VIGNETTES)}
    assert len(gated) == len(CASES) - len(VIGNETTES) >= len(INCOMPLETE)
    for engine in engine_run["results"]:
        ran = _cases(engine_run, engine)
        assert any(i in gated for i, *_ in ran) and any(i not in gated for i, *_ in ran), engine
        for i, name, _, result in ran:
            selected = _selected(result)
            assert ((None, GATE) in selected) == (i in gated), (engine, name)
            if i in gated:
                assert [a for g, a in selected if g in ("relief", "prevention")] == [], (engine, name)


def test_a_certain_emergency_still_fires_beside_the_gate(
    engine_run: dict[str, Any], guidance: Guidance
) -> None:
    assert BESIDE_GATE, "no vignette with an emergency to blank an answer of"
    stat = {rf.id for rf in guidance.red_flags if rf.urgency == "emergency"}
    for engine in engine_run["results"]:
        ran = [(name, result) for i, name, _, result in _cases(engine_run, engine) if i in BESIDE_GATE]
        assert ran, engine
        for name, result in ran:
            flags = {a for g, a in _selected(result) if g == "red_flags"}
            assert flags & stat, (engine, name)


def test_encender_communication_requests_hold_the_advice(
    engine_run: dict[str, Any], guidance: Guidance
) -> None:
    activity = {
        e["resource"]["id"]: e["resource"]["code"]["text"]
        for e in json.loads(_bundle_bytes(guidance.id))["entry"]
        if e["resource"]["resourceType"] == "ActivityDefinition"
    }
    texts = {rule.id: _advice(rule.item) for rule in guidance.rules()}
    texts[GATE] = guidance.metadata.disclaimer
    for _, name, _, result in _cases(engine_run, "encender"):
        for _, action in result["actions"]:
            (payload,) = result["payloads"][action]
            assert texts[action] in payload, (name, action)
            assert payload == activity[action.replace("_", "-")], (name, action)


def _advice(item: Any) -> str:
    from kneeguide.models import RedFlag, ThermalRule

    if isinstance(item, RedFlag):
        return item.advice
    if isinstance(item, ThermalRule):
        return item.instructions
    text: str = item.text
    return text


@cache
def _schema() -> Json:
    schema: Json = json.loads((HERE / "fhir" / "fhir.schema.json").read_text(encoding="utf-8"))
    return schema


@cache
def _validator(resource_type: str) -> jsonschema.Draft6Validator:
    """A validator for one resource type against its own definition (precise paths), built once."""
    own = {"definitions": _schema()["definitions"], "allOf": [{"$ref": f"#/definitions/{resource_type}"}]}
    return jsonschema.Draft6Validator(own)


def _errors(resource: Json) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in _validator(resource["resourceType"]).iter_errors(resource)
    ]


def test_kneeguide_apply_agrees_with_encender_and_is_valid_r4(
    engine_run: dict[str, Any], guidance: Guidance
) -> None:
    for i, name, _, result in _cases(engine_run, "encender"):
        bundle = apply(guidance, engine_run["responses"][i])
        assert _errors(bundle) == [], name
        by_urn = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
        for entry in bundle["entry"]:
            assert _errors(entry["resource"]) == [], (name, entry["resource"]["resourceType"])
            assert entry["request"] == {"method": "POST", "url": entry["resource"]["resourceType"]}
        care_plan, group = (e["resource"] for e in bundle["entry"][:2])
        assert (care_plan["resourceType"], group["resourceType"]) == ("CarePlan", "RequestGroup")
        assert by_urn[care_plan["activity"][0]["reference"]["reference"]] is group
        ours = {
            (g["id"] if "action" in g else None, leaf["id"])
            for g in group["action"]
            for leaf in g.get("action", [g])
        }
        assert ours == _selected(result), name
        for g in group["action"]:
            for leaf in g.get("action", [g]):
                request = by_urn[leaf["resource"]["reference"]]
                words = [p["contentString"] for p in request["payload"] if "contentString" in p]
                assert words == result["payloads"][leaf["id"]], (name, leaf["id"])


def test_every_engine_timing_is_recorded(engine_run: dict[str, Any]) -> None:
    assert set(engine_run["ms"]) == {"encender", "cql", "fhirpath"}
    assert all(ms > 0 for ms in engine_run["ms"].values())
