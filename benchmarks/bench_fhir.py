"""The FHIR export at scale, and the time real engines take per response.

Run with ``.venv/bin/python benchmarks/bench_fhir.py``; ``benchmarks/run.py``
runs the same functions, each in its own process for its peak memory.

* ``scaled(k)``: the shipped guidance with ``k`` times its thermal rules
  (synthetic ones, made as ``bench_verify`` makes them: random conjunctions
  over the real questions, a default rule last): the export's wall time,
  the Bundle's size, the size of its CQL and of its FHIRPath conditions.
  The CQL has one define per definition of the decision model, so it grows
  linearly; the FHIRPath folds into each thermal condition the higher rules
  that z3 cannot prove exclusive with it (all of them without z3).
* ``engines(n)``: milliseconds per response of Encender ($apply), cql-execution
  with cql-exec-fhir (the ELM) and fhirpath.js (the FHIRPath forms) on ``n``
  vignette responses, through tests/fhir-engines/run.mjs.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ALTERNATIVE = "http://hl7.org/fhir/StructureDefinition/cqf-alternativeExpression"


def scaled(k: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_verify import synthetic_rules  # type: ignore[import-not-found]

    import kneeguide
    from kneeguide_exporters import fhir

    g = kneeguide.load()
    if k > 1:
        rules = synthetic_rules(g, len(g.thermal_rules) * k, 7)
        for rule in rules:  # ice or heat only up to "soon", as the shipped rules do
            rule.setdefault("max_urgency", "emergency" if rule["advice"] == "none" else "soon")
        g = in_memory(g, rules)
    start = time.perf_counter()
    data = fhir.render(g)[f"{g.id}.fhir.json"]
    seconds = time.perf_counter() - start
    bundle = json.loads(data)
    library = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Library")
    cql = base64.b64decode(library["content"][0]["data"])
    fhirpath = sum(
        len(e["valueExpression"]["expression"])
        for e in _walk(bundle)
        if isinstance(e, dict) and e.get("url") == ALTERNATIVE
    )
    return {
        "k": k,
        "thermal_rules": len(g.thermal_rules),
        "export_s": seconds,
        "bundle_mb": len(data) / 1e6,
        "cql_kb": len(cql) / 1e3,
        "fhirpath_mb": fhirpath / 1e6,
    }


def in_memory(guidance: Any, rules: list[dict[str, Any]]) -> Any:
    """The guidance with its thermal rules replaced, built without the loader."""
    import dataclasses

    from kneeguide import conditions as cond
    from kneeguide.models import ThermalRule

    old = {r.id for r in guidance.thermal_rules}
    conditions = {k: v for k, v in guidance.conditions.items() if k not in old}
    thermal = []
    for item in rules:
        tree = cond.parse(item["condition"])
        conditions[item["id"]] = tree
        thermal.append(ThermalRule.model_validate(item))
    return dataclasses.replace(
        guidance, thermal_rules=tuple(thermal), conditions=conditions, source_conditions=conditions
    )


def _walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def engines(n: int = 12) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "tests"))
    from ruamel.yaml import YAML

    import kneeguide
    from fhir_support import questionnaire_response  # type: ignore[import-not-found]
    from kneeguide_exporters import fhir

    driver = REPO / "tests" / "fhir-engines" / "run.mjs"
    if not (REPO / "tests" / "fhir-engines" / "node_modules" / "encender").is_dir():
        raise RuntimeError("the FHIR engines are not installed (npm ci --prefix tests/fhir-engines)")
    g = kneeguide.load()
    bundle = fhir.build_bundle(g)
    questionnaire = fhir.build_questionnaire(g)
    yaml = YAML(typ="safe", pure=True)
    base = yaml.load((REPO / "tests" / "vignettes" / "baseline.yaml").read_text("utf-8"))["baseline"]
    cases = yaml.load((REPO / "tests" / "vignettes" / "red_flags.yaml").read_text("utf-8"))["vignettes"]
    responses = [questionnaire_response(questionnaire, {**base, **c["answers"]}) for c in cases[:n]]
    out: dict[str, Any] = {"responses": len(responses)}
    for engine in ("encender", "cql", "fhirpath"):
        run = subprocess.run(
            ["node", str(driver)],
            input=json.dumps({"bundle": bundle, "responses": responses, "engines": [engine]}),
            capture_output=True,
            text=True,
            check=True,
        )
        out[f"{engine}_ms"] = json.loads(run.stdout)["ms"][engine]
    return out


if __name__ == "__main__":
    for k in (1, 4, 16, 64):
        print(scaled(k))
    print(engines())
