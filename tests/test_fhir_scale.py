"""The FHIR export grows with the content, not with its square, and still decides as ``assess`` does.

The content is the shipped guidance 16 times over, as the benchmarks build
it (``benchmarks/bench_scale.py``: every red flag, thermal rule and step
copied, thermal copies given distinct priorities in the same order).  The
Bundle must stay within the exporter's size limit, its ELM shallow enough
for any JSON reader, its FHIRPath about 16 times the shipped size, and
fhirpath.js and cql-execution, run on the Bundle as exported, must select
exactly what ``assess`` (or the gate) selects on the clinical vignettes and
on incomplete responses.  The indented JSON writer is compared byte for byte
with ``json.dumps``.
"""

from __future__ import annotations

import base64
import functools
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import kneeguide
from fhir_support import Json, expected_actions, questionnaire_response
from kneeguide.guidance import Guidance
from kneeguide_exporters import fhir
from kneeguide_exporters.fhir.jsontext import CHUNK, dumps, encoded
from test_fhir_engines import BESIDE_GATE, CASES, INCOMPLETE, drive

REPO = Path(__file__).resolve().parent.parent
ALTERNATIVE = "http://hl7.org/fhir/StructureDefinition/cqf-alternativeExpression"
LIMIT = 64 * 2**20
"""The size the plugin host accepts from one render."""


@cache
def scaled(k: int) -> Guidance:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_scale import scaled as build  # type: ignore[import-not-found]

    g: Guidance = build(k)
    return g


@cache
def exported(k: int) -> bytes:
    g = scaled(k)
    return fhir.render(g)[f"{g.id}.fhir.json"]


def _resource(bundle: Json, kind: str) -> Json:
    (found,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
    return found


def _fhirpath_chars(bundle: Json) -> int:
    total = 0
    pending: list[Any] = [bundle]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("url") == ALTERNATIVE:
                total += len(node["valueExpression"]["expression"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return total


def _depth(node: Any) -> int:
    deepest, pending = 0, [(node, 1)]
    while pending:
        node, d = pending.pop()
        deepest = max(deepest, d)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((c, d + 1) for c in children)
    return deepest


def test_the_export_at_16_times_the_content_fits_and_grows_linearly() -> None:
    small, large = exported(1), exported(16)
    assert len(large) < LIMIT
    assert len(scaled(16).red_flags) == 16 * len(scaled(1).red_flags)
    ratio = _fhirpath_chars(json.loads(large)) / _fhirpath_chars(json.loads(small))
    assert ratio <= 17, f"the FHIRPath grows {ratio:.1f} times for 16 times the content"


def test_the_elm_stays_shallow_however_many_red_flags() -> None:
    library = _resource(json.loads(exported(16)), "Library")
    (elm,) = [c["data"] for c in library["content"] if c["contentType"] == "application/elm+json"]
    statements = json.loads(base64.b64decode(elm))["library"]["statements"]["def"]
    urgency = next(s for s in statements if s["name"] == "urgency:soon")
    assert _depth(urgency) < 200  # a chain of 608 red flags, split in halves past 64
    assert _depth(statements) < 300


def test_a_copied_rule_never_decides_and_its_original_still_can() -> None:
    plan = _resource(json.loads(exported(16)), "PlanDefinition")
    (thermal,) = [a for a in plan["action"] if a["id"] == "thermal"]
    forms = {
        a["id"]: a["condition"][0]["expression"]["extension"][0]["valueExpression"]["expression"]
        for a in thermal["action"]
    }
    first = scaled(1).thermal_by_priority()[0].id
    assert forms[f"{first}_x1"] == "false"  # its copy 0 has the same condition and a higher priority
    assert forms[first] != "false"


def _sample() -> list[tuple[str, dict[str, Any]]]:
    """Three responses for fhirpath.js, which takes ten seconds for each at this size.

    The case that selects the most actions (the longest expressions all
    evaluated true somewhere), a blank required answer (the gate) and a
    certain emergency beside the gate.  At the shipped size fhirpath.js runs
    every action both ways (test_fhir_engines.py); here it shows that the
    forms written for 16 times the rules still decide.
    """
    g = kneeguide.load()
    richest = max(CASES[: min(BESIDE_GATE)], key=lambda case: len(expected_actions(g, case[1])))
    blank = next(case for case in INCOMPLETE if case[0].startswith("blank"))
    return [richest, blank, CASES[min(BESIDE_GATE)]]


@functools.cache
def samples() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each engine's cases: made when first asked for, not in every worker that imports the module."""
    return {"fhirpath": _sample(), "cql": CASES}


@pytest.fixture(scope="module")
def engine_run() -> dict[str, list[Json]]:
    """cql-execution on every case, fhirpath.js on ``_sample()``, on the 16-times Bundle."""
    bundle = json.loads(exported(16))
    questionnaire = _resource(bundle, "Questionnaire")

    def run(engine: str) -> list[Json]:
        responses = [questionnaire_response(questionnaire, answers) for _, answers in samples()[engine]]
        result = drive(bundle, responses, [engine], timeout=1200, node_options="--max-old-space-size=4096")
        found: list[Json] = result["results"][engine]
        return found

    with ThreadPoolExecutor(len(samples())) as pool:  # one engine a core
        return dict(zip(samples(), pool.map(run, samples()), strict=True))


@pytest.mark.engines
@pytest.mark.parametrize("engine", ["fhirpath", "cql"])
def test_the_16_times_export_selects_what_assess_selects(
    engine: str, engine_run: dict[str, list[Json]]
) -> None:
    g = scaled(16)
    assert any("blank" in name for name, _ in samples()[engine])
    wrong = []
    for (name, answers), result in zip(samples()[engine], engine_run[engine], strict=True):
        got = {(group, action) for group, action in result["actions"]}
        expected = expected_actions(g, answers)
        if got != expected or result["nulls"]:
            wrong.append(f"{name}: missing {sorted(expected - got)[:3]}, extra {sorted(got - expected)[:3]}")
    assert wrong == []


def test_the_json_writer_gives_the_bytes_json_dumps_gives() -> None:
    for k in (1, 16):
        bundle = json.loads(exported(k))
        assert dumps(bundle) == json.dumps(bundle, indent=2, ensure_ascii=False)
    odd = {"": [], 'é\u2028"\\': {}, "n": [None, True, False, 0, -7, 2**70, "\x00\ud7ff"], "d": {"x": [[]]}}
    assert dumps(odd) == json.dumps(odd, indent=2, ensure_ascii=False)
    for bad in (1.5, {1: "x"}, {None: "x"}, (1,)):
        with pytest.raises(TypeError):
            dumps(bad)


def test_the_bytes_written_a_chunk_at_a_time_are_the_text_encoded() -> None:
    """Large enough to be encoded in several chunks, with text that is not ASCII across their seams."""
    big = {"entry": [{"n": i, "t": ["é\u2028", str(i)]} for i in range(CHUNK // 4)], "end": "ok"}
    assert len(dumps(big).splitlines()) > 2 * CHUNK
    for value in (big, {"a": [1, "ü"]}, [], "x"):
        assert encoded(value) == (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_no_shipped_thermal_rule_is_folded_away() -> None:
    """The shipped rules have no copies: each can decide, so none is written as ``false``."""
    g = kneeguide.load()
    plan = _resource(json.loads(exported(1)), "PlanDefinition")
    (thermal,) = [a for a in plan["action"] if a["id"] == "thermal"]
    assert len(thermal["action"]) == len(g.thermal_rules)
    assert all(
        a["condition"][0]["expression"]["extension"][0]["valueExpression"]["expression"] != "false"
        for a in thermal["action"]
    )
