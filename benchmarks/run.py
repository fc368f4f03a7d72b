"""kneeguide measured against the alternatives, in one run on one machine.

Run with ``tox -e bench`` or ``python benchmarks/run.py``.  Each measurement
runs in its own child process, so its peak memory (maximum resident set
size, from ``wait4``) is its own.  The table goes to standard output; the
README keeps the latest one.  Benchmarks report: they never fail CI.

Measurements and goals:

* assess: microseconds per answer set (median, p99) over generated answer
  sets, against evaluating the exported FHIR PlanDefinition's conditions with
  fhirpathpy on the same answers (goal: <= 20 us and >= 50x faster);
* validate: ``kneeguide validate`` wall time against check-jsonschema checking
  the same files against the same schemas (goal: no slower);
* verify: shipped content (<= 2 s wall) and 200 / 2,000 synthetic thermal
  rules (<= 1 s / <= 10 s for the proofs);
* each exporter (PDF <= 1 s, all formats <= 2 s);
* ``import kneeguide`` over bare Python (<= 100 ms), and no exporter, solver
  or template library imported by it;
* the FHIR export at 1, 4, 16 and 64 times the thermal rules (export time,
  Bundle, CQL and FHIRPath size, peak memory), and the time per response of
  Encender, cql-execution and fhirpath.js on the exported Bundle
  (``benchmarks/bench_fhir.py``);
* the interview: mean and worst number of questions asked against the full
  set over 2,000 generated answer sets, and one step's time (<= 1 ms);
* speed where users feel it (``benchmarks/bench_speed.py``): the packaged
  ``load()`` in process (<= 20 ms), a cold ``kneeguide assess`` (<= 200 ms
  wall), ``assess`` (<= 8 us) and its JSON (<= 10 us) beside a hand-written
  floor function (``benchmarks/floor.py``), ``assess`` at 64 times the
  content, and ``export all`` at 1, 4, 16 and 64 times the content (at 64:
  <= 5 s and <= 300 MiB);
* the service: ``POST /assess`` requests/s and p50/p99 latency at 1, 16 and
  64 connections with 1 and 2 workers, 5 s a cell (``benchmarks/bench_service.py``),
  and no failed request under 64 connections for 20 s.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
MEASUREMENTS: dict[str, Callable[[], dict[str, Any]]] = {}


def measurement(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    MEASUREMENTS[fn.__name__] = fn
    return fn


def _answer_sets(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Valid answer sets, biased to the thresholds the rules use."""
    import kneeguide
    from kneeguide import conditions

    g = kneeguide.load()
    rng = random.Random(seed)
    cuts: dict[str, set[int]] = {}
    for tree in g.conditions.values():
        for qid, values in conditions.thresholds(tree).items():
            cuts.setdefault(qid, set()).update(v + d for v in values for d in (-1, 0, 1))
    sets = []
    for _ in range(n):
        a: dict[str, Any] = {}
        for q in g.questions:
            if q.type == "boolean":
                a[q.id] = rng.random() < 0.15
            elif q.type == "integer":
                lo, hi = q.minimum or 0, q.maximum or 0
                near = [v for v in cuts.get(q.id, ()) if lo <= v <= hi]
                a[q.id] = rng.choice(near) if near and rng.random() < 0.7 else rng.randint(lo, hi)
            else:
                a[q.id] = rng.choice([c.code for c in q.choices or ()])
        sets.append(a)
    return sets


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


@measurement
def assess_fhirpathpy() -> dict[str, Any]:
    """The same decisions by evaluating the exported PlanDefinition with fhirpathpy."""
    from fhirpathpy import compile as fp_compile
    from fhirpathpy.models import models

    import kneeguide
    from kneeguide.plugins import PluginHost

    g = kneeguide.load()
    files = PluginHost.discover().formats["fhir"].format.render(g)
    bundle = json.loads(next(iter(files.values())))
    plan = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "PlanDefinition")

    alternative = "http://hl7.org/fhir/StructureDefinition/cqf-alternativeExpression"

    def fhirpath(condition: dict[str, Any]) -> Any:
        (alt,) = [e for e in condition["expression"]["extension"] if e["url"] == alternative]
        return fp_compile(alt["valueExpression"]["expression"], models["r4"])

    # $apply's order: a group's condition, then its actions' conditions.
    tree = [
        (
            [fhirpath(c) for c in act.get("condition", [])],
            [fhirpath(c) for leaf in act.get("action", []) for c in leaf["condition"]],
        )
        for act in plan["action"]
    ]
    exprs = [fn for own, inner in tree for fn in (*own, *inner)]
    questions = {q.id: q for q in g.questions}

    def response(a: dict[str, Any]) -> dict[str, Any]:
        items = []
        for qid, v in a.items():
            q = questions[qid]
            if q.type == "boolean":
                value: dict[str, Any] = {"valueBoolean": v}
            elif q.type == "integer":
                value = {"valueInteger": v}
            else:
                value = {"valueCoding": {"code": v}}
            items.append({"linkId": qid, "answer": [value]})
        return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}

    sets = _answer_sets(20)  # fhirpathpy takes about a second a response
    times = []
    for a in sets:
        qr = response(a)
        start = time.perf_counter_ns()
        for own, inner in tree:
            if all(fn(qr, {"resource": qr}) == [True] for fn in own):
                for fn in inner:
                    fn(qr, {"resource": qr})
        times.append((time.perf_counter_ns() - start) / 1000)
    return {
        "median_us": statistics.median(times),
        "p99_us": _percentile(times, 0.99),
        "n": len(sets),
        "conditions": len(exprs),
    }


def _wall(args: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@measurement
def validate() -> dict[str, Any]:
    return {"wall_s": _wall([str(BIN / "kneeguide"), "validate"])}


@measurement
def validate_check_jsonschema() -> dict[str, Any]:
    """check-jsonschema on the same files and schemas: one run per schema, as it requires."""
    from kneeguide.models import SCHEMA_NAMES
    from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root, schemas_dir

    tool = BIN / "check-jsonschema"
    if not tool.exists():
        return {"error": "check-jsonschema is not installed (tox -e bench installs it)"}
    by_schema: dict[str, list[str]] = {}
    for fname, schema in SCHEMA_NAMES.items():
        by_schema.setdefault(schema, []).append(str(guidance_root() / DEFAULT_GUIDELINE / fname))
    runs = [[str(tool), "--schemafile", str(schemas_dir() / s), *files] for s, files in by_schema.items()]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for args in runs:
            subprocess.run(args, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return {"wall_s": statistics.median(times), "invocations": len(runs)}


@measurement
def verify_shipped() -> dict[str, Any]:
    return {"wall_s": _wall([str(BIN / "kneeguide"), "verify"], repeat=3)}


def _verify_synthetic(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_verify import in_memory, synthetic_rules  # type: ignore[import-not-found]

    import kneeguide
    from kneeguide.verifier import verify

    g = in_memory(kneeguide.load(), synthetic_rules(kneeguide.load(), n, 4))
    seconds = statistics.median(verify(g).seconds for _ in range(3))
    return {"proofs_s": seconds, "rules": n}


@measurement
def verify_200() -> dict[str, Any]:
    return _verify_synthetic(200)


@measurement
def verify_2000() -> dict[str, Any]:
    return _verify_synthetic(2000)


def _export(name: str) -> dict[str, Any]:
    """Render time in this fresh process: the first render (cold, what one export
    costs) and the median of later ones (warm, what a long-lived service sees)."""
    import kneeguide
    from kneeguide.plugins import PluginHost

    g = kneeguide.load()
    render = PluginHost.discover().formats[name].format.render
    start = time.perf_counter()
    render(g)
    cold = time.perf_counter() - start
    times = []
    for _ in range(5):
        start = time.perf_counter()
        render(g)
        times.append(time.perf_counter() - start)
    return {"render_s": cold, "warm_s": statistics.median(times)}


@measurement
def export_fhir() -> dict[str, Any]:
    return _export("fhir")


def _fhir_scaled(k: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_fhir import scaled  # type: ignore[import-not-found]

    result: dict[str, Any] = scaled(k)
    return result


@measurement
def fhir_x1() -> dict[str, Any]:
    return _fhir_scaled(1)


@measurement
def fhir_x4() -> dict[str, Any]:
    return _fhir_scaled(4)


@measurement
def fhir_x16() -> dict[str, Any]:
    return _fhir_scaled(16)


@measurement
def fhir_x64() -> dict[str, Any]:
    return _fhir_scaled(64)


@measurement
def fhir_engines() -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_fhir import engines  # type: ignore[import-not-found]

    result: dict[str, Any] = engines()
    return result


@measurement
def export_html() -> dict[str, Any]:
    return _export("html")


@measurement
def export_pdf() -> dict[str, Any]:
    return _export("pdf")


@measurement
def export_all() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seconds = _wall([str(BIN / "kneeguide"), "export", "all", "-o", tmp], repeat=3)
    return {"wall_s": seconds}


@measurement
def import_cost() -> dict[str, Any]:
    python = sys.executable
    bare = _wall([python, "-c", "pass"], repeat=15)
    loaded = _wall([python, "-c", "import kneeguide"], repeat=15)
    probe = (
        "import sys, kneeguide; heavy = ['z3', 'jinja2', 'typst', 'kneeguide_exporters', 'fhirpathpy',"
        " 'kneeguide.verifier', 'kneeguide.engine']; print([m for m in heavy if m in sys.modules])"
    )
    imported = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    return {"extra_ms": (loaded - bare) * 1000, "heavy_imported": imported}


@measurement
def interview() -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_interview import measure  # type: ignore[import-not-found]

    result: dict[str, Any] = measure(_answer_sets(2000, seed=11))
    return result


def _speed() -> Any:
    sys.path.insert(0, str(HERE))
    import bench_speed  # type: ignore[import-not-found]

    return bench_speed


@measurement
def python_pydantic() -> dict[str, Any]:
    """What a command that shows results through pydantic cannot go below: Python, pydantic, one model."""
    code = "from pydantic import BaseModel\nclass A(BaseModel):\n    x: int\n"
    return {"wall_ms": _wall([sys.executable, "-c", code], repeat=15) * 1000}


@measurement
def load_packaged() -> dict[str, Any]:
    result: dict[str, Any] = _speed().load_packaged()
    return result


@measurement
def cold_assess() -> dict[str, Any]:
    result: dict[str, Any] = _speed().cold_assess()
    return result


@measurement
def assess_floor() -> dict[str, Any]:
    result: dict[str, Any] = _speed().assess_and_floor(_answer_sets(5000, seed=3))
    return result


@measurement
def assess_x64() -> dict[str, Any]:
    result: dict[str, Any] = _speed().assess_scaled(64, _answer_sets(2000, seed=5))
    return result


def _export_scaled(k: int) -> Callable[[], dict[str, Any]]:
    def measure() -> dict[str, Any]:
        result: dict[str, Any] = _speed().export_all(k)
        return result

    return measure


for _k in (1, 4, 16, 64):
    MEASUREMENTS[f"export_all_x{_k}"] = _export_scaled(_k)


@measurement
def service() -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_service import measure  # type: ignore[import-not-found]

    result: dict[str, Any] = measure(seconds=5, check_seconds=20)
    return result


# --- the parent: run each measurement in a child and print the table ---------------------


def _child(name: str) -> tuple[dict[str, Any], float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--one", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mib = usage.ru_maxrss / 1024
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {proc.returncode}"}, peak_mib
    result: dict[str, Any] = json.loads(out)
    return result, peak_mib


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}; {platform.platform()}"


def main() -> int:
    # The command rows measure an installed kneeguide, whose bytecode pip compiled at install:
    # a shell that forbids writing bytecode would time compiling the package on every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(MEASUREMENTS[sys.argv[2]]()))
        return 0
    results = {name: _child(name) for name in MEASUREMENTS}

    def get(name: str, key: str) -> float | None:
        value = results[name][0].get(key)
        return value if isinstance(value, int | float) else None

    def fmt(value: float | None, unit: str, digits: int = 2) -> str:
        return "n/a" if value is None else f"{value:.{digits}f} {unit}"

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "NOT MET")

    def at_most(value: float | None, limit: float) -> str:
        return verdict(None if value is None else value <= limit)

    def limit(
        label: str, name: str, key: str, unit: str, most: float | None, digits: int = 2
    ) -> tuple[str, str, str, str, str]:
        """A table row for a measurement with an upper goal (or none)."""
        value = get(name, key)
        if most is None:
            return (label, fmt(value, unit, digits), "", "", name)
        return (label, fmt(value, unit, digits), f"<= {most:g} {unit}", at_most(value, most), name)

    def _export_row(k: int) -> tuple[str, str, str, str, str]:
        name = f"export_all_x{k}"
        result = results[name][0]
        times = result.get("formats", {})
        each = ", ".join(
            f"{f} {t:.2f} s" if isinstance(t, float) else f"{f} failed" for f, t in times.items()
        )
        if "wall_s" in result:
            text = f"{result['wall_s']:.2f} s ({each})"
        else:
            text = f"failed ({each})" if times else "n/a"
        goal = "<= 5 s" if k == 64 else ""
        met = verdict(None if not times else result.get("wall_s", 1e9) <= 5) if k == 64 else ""
        return (f"export all at {k}x the content, wall", text, goal, met, name)

    def _bundle_row(k: int) -> tuple[str, str, str, str, str]:
        """The FHIR Bundle's size: the plugin host refuses a render over 64 MiB."""
        name = f"export_all_x{k}"
        size = get(name, "bundle_mib")
        fhir_failed = isinstance(results[name][0].get("formats", {}).get("fhir"), str)
        text = "failed" if fhir_failed else fmt(size, "MiB", 1)
        met = verdict(False if fhir_failed else None if size is None else size <= 64)
        return (f"export all at {k}x the content: FHIR Bundle", text, "<= 64 MiB", met, name)

    ours, theirs = get("assess_floor", "assess_us"), get("assess_fhirpathpy", "median_us")
    ratio = theirs / ours if ours and theirs else None
    v_ours, v_theirs = get("validate", "wall_s"), get("validate_check_jsonschema", "wall_s")
    rows = [
        limit("packaged load(), in process (later calls), median", "load_packaged", "median_ms", "ms", 20, 1),
        limit(
            "packaged load(), first call in a fresh process, imports included",
            "load_packaged",
            "first_ms",
            "ms",
            None,
            0,
        ),
        limit(
            "cold `kneeguide assess --answers tests/answers/baseline.json`, wall",
            "cold_assess",
            "wall_ms",
            "ms",
            200,
            0,
        ),
        limit(
            "for comparison: Python starting and importing pydantic, wall",
            "python_pydantic",
            "wall_ms",
            "ms",
            None,
            0,
        ),
        limit("assess, median", "assess_floor", "assess_us", "us", 8, 1),
        limit("assess, p99", "assess_floor", "assess_p99_us", "us", None, 1),
        limit("Assessment.to_json(), median", "assess_floor", "to_json_us", "us", 10, 1),
        limit("assess_json (assess and its JSON), median", "assess_floor", "assess_json_us", "us", None, 1),
        limit(
            "json.dumps(model_dump(mode=json)) before, for comparison: model_dump alone",
            "assess_floor",
            "model_dump_us",
            "us",
            None,
            1,
        ),
        limit(
            "hand-written floor: same checks and decisions, median", "assess_floor", "floor_us", "us", None, 1
        ),
        limit(
            "hand-written floor and its JSON (no trace), median",
            "assess_floor",
            "floor_json_us",
            "us",
            None,
            1,
        ),
        (
            "assess at 64x the content, median",
            "n/a"
            if get("assess_x64", "assess_us") is None
            else f"{get('assess_x64', 'assess_us'):.1f} us ({get('assess_x64', 'fired_median'):.0f} of "
            f"{get('assess_x64', 'rules'):.0f} rules fire)",
            "",
            "",
            "assess_x64",
        ),
        limit("assess_json at 64x the content, median", "assess_x64", "assess_json_us", "us", None, 1),
        limit(
            "fhirpathpy on the exported PlanDefinition, median",
            "assess_fhirpathpy",
            "median_us",
            "us",
            None,
            0,
        ),
        (
            "assess speed-up over fhirpathpy",
            fmt(ratio, "x", 0),
            ">= 50x",
            verdict(None if ratio is None else ratio >= 50),
            "",
        ),
        (
            "validate (kneeguide), wall",
            fmt(v_ours, "s"),
            "<= check-jsonschema",
            verdict(None if v_ours is None or v_theirs is None else v_ours <= v_theirs),
            "validate",
        ),
        limit(
            "check-jsonschema, same files and schemas, wall", "validate_check_jsonschema", "wall_s", "s", None
        ),
        limit("verify shipped content, wall", "verify_shipped", "wall_s", "s", 2),
        limit("verify 200 synthetic rules, proofs", "verify_200", "proofs_s", "s", 1),
        limit("verify 2,000 synthetic rules, proofs", "verify_2000", "proofs_s", "s", 10),
        limit("export fhir, first render", "export_fhir", "render_s", "s", None, 3),
        limit("export html, first render", "export_html", "render_s", "s", None, 3),
        *(
            (
                f"fhir Bundle at {k}x the thermal rules ({get(f'fhir_x{k}', 'thermal_rules') or 0:.0f}): "
                "export, Bundle, CQL, FHIRPath",
                "n/a"
                if get(f"fhir_x{k}", "export_s") is None
                else f"{get(f'fhir_x{k}', 'export_s'):.2f} s, {get(f'fhir_x{k}', 'bundle_mb'):.1f} MB, "
                f"{get(f'fhir_x{k}', 'cql_kb'):.0f} KB, {get(f'fhir_x{k}', 'fhirpath_mb'):.1f} MB",
                "CQL linear",
                "",
                f"fhir_x{k}",
            )
            for k in (1, 4, 16, 64)
        ),
        limit("Encender $apply, per response", "fhir_engines", "encender_ms", "ms", None, 0),
        limit("cql-execution + cql-exec-fhir (ELM), per response", "fhir_engines", "cql_ms", "ms", None, 0),
        limit("fhirpath.js (FHIRPath forms), per response", "fhir_engines", "fhirpath_ms", "ms", None, 0),
        limit("export pdf, first render", "export_pdf", "render_s", "s", 1, 3),
        limit("kneeguide export all, wall", "export_all", "wall_s", "s", 2),
        *(_export_row(k) for k in (1, 4, 16, 64)),
        *(_bundle_row(k) for k in (1, 16, 64)),
        (
            "export all at 64x the content, peak memory",
            f"{results['export_all_x64'][1]:.0f} MiB",
            "<= 300 MiB",
            verdict(results["export_all_x64"][1] <= 300),
            "export_all_x64",
        ),
        limit("import kneeguide over bare Python", "import_cost", "extra_ms", "ms", 100, 0),
        (
            "interview: questions asked, mean (worst) of the full set",
            "n/a"
            if get("interview", "mean_asked") is None
            else f"{get('interview', 'mean_asked'):.1f} ({get('interview', 'worst_asked'):.0f}) "
            f"of {get('interview', 'questions'):.0f}",
            "mean < full set",
            verdict(
                None
                if get("interview", "mean_asked") is None
                else (get("interview", "mean_asked") or 0) < (get("interview", "questions") or 0)
            ),
            "interview",
        ),
        limit("interview, one step, median", "interview", "step_median_us", "us", 1000, 0),
        limit(
            "g.assess + the JSON the service sends, in process", "service", "assess_json_us", "us", None, 1
        ),
    ]
    for workers in (1, 2):
        for conns in (1, 16, 64):
            key = f"w{workers}_c{conns}_"
            rps, p50, p99 = (get("service", key + k) for k in ("rps", "p50_ms", "p99_ms"))
            text = (
                "n/a" if None in (rps, p50, p99) else f"{rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
            rows.append(
                (f"service POST /assess, {workers} worker(s), {conns} connection(s)", text, "", "", "service")
            )
    failed, total = get("service", "check_failed"), get("service", "check_requests")
    rows.append(
        (
            "service, 64 connections for 20 s: failed requests",
            "n/a" if failed is None else f"{failed:.0f} of {total:.0f}",
            "0",
            verdict(None if failed is None else failed == 0),
            "service",
        )
    )
    print(f"Machine: {_machine()}")
    print()
    print("| measurement | result | goal | | peak memory |")
    print("|---|---|---|---|---|")
    for label, value, goal, met, source in rows:
        peak = f"{results[source][1]:.0f} MiB" if source else ""
        print(f"| {label} | {value} | {goal} | {met} | {peak} |")
    heavy = results["import_cost"][0].get("heavy_imported", "n/a")
    print()
    print(f"Heavy modules loaded by `import kneeguide`: {heavy}")
    for name, (result, _) in results.items():
        if "error" in result:
            print(f"{name}: could not run: {result['error']}")
        if "failed" in result:
            print(f"{name}: {result['failed']}")
        if "floor_error" in result:
            print(f"{name}: the hand-written floor refuses today's content ({result['floor_error']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
