"""Speed where users feel it: loading, a cold command, assess and its JSON against the floor, scale.

Each function is one measurement that ``run.py`` runs in its own process.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent


def median_us(fn: Callable[[Any], Any], items: Sequence[Any]) -> tuple[float, float]:
    """Median and p99 microseconds of ``fn`` per item (after one warm-up pass)."""
    for x in items[:200]:
        fn(x)
    times = []
    for x in items:
        start = time.perf_counter_ns()
        fn(x)
        times.append((time.perf_counter_ns() - start) / 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def load_packaged() -> dict[str, Any]:
    """The first ``kneeguide.load()`` in this fresh process (imports included), then later ones."""
    start = time.perf_counter()
    import kneeguide

    kneeguide.load()
    first = time.perf_counter() - start
    times = []
    for _ in range(30):
        start = time.perf_counter()
        kneeguide.load()
        times.append(time.perf_counter() - start)
    from kneeguide.resources import DEFAULT_GUIDELINE, compiled_path

    return {
        "first_ms": first * 1000,
        "median_ms": statistics.median(times) * 1000,
        "from": "the wheel's compact form" if compiled_path(DEFAULT_GUIDELINE) else "the cache",
    }


def cold_assess() -> dict[str, Any]:
    """``kneeguide assess --answers tests/answers/baseline.json``, a new process each time."""
    args = [str(BIN / "kneeguide"), "assess", "--answers", str(REPO / "tests" / "answers" / "baseline.json")]
    subprocess.run(args, capture_output=True, check=True)  # validated once, as after an install
    times = []
    for _ in range(15):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return {"wall_ms": statistics.median(times) * 1000, "best_ms": min(times) * 1000}


def assess_and_floor(sets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """assess, its JSON and the hand-written floor, on the same answer sets."""
    sys.path.insert(0, str(HERE))
    from floor import check_agrees, make_floor  # type: ignore[import-not-found]

    import kneeguide

    g = kneeguide.load()
    assessed = [g.assess(a) for a in sets]
    out: dict[str, Any] = {}
    out["assess_us"], out["assess_p99_us"] = median_us(g.assess, sets)
    out["to_json_us"], _ = median_us(lambda a: a.to_json(), [g.assess(a) for a in sets])
    out["assess_json_us"], _ = median_us(g.assess_json, sets)
    out["model_dump_us"], _ = median_us(lambda a: a.model_dump(mode="json"), assessed)
    # The floor is written by hand for one question set: when the content has
    # moved on it refuses the answers, and only its own rows are lost.
    try:
        floor, floor_json = make_floor(g)
        check_agrees(g, floor, sets)
    except (ValueError, AssertionError) as exc:
        out["floor_error"] = f"{type(exc).__name__}: {exc}"
        return out
    out["floor_us"], _ = median_us(floor, sets)
    out["floor_json_us"], _ = median_us(floor_json, sets)
    return out


def assess_scaled(k: int, sets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_scale import scaled  # type: ignore[import-not-found]

    g = scaled(k)
    g.engine  # noqa: B018  # compiled before timing
    fired = [sum(1 for t in g.assess(a).trace if t.fired) for a in sets[:500]]
    assess, _ = median_us(g.assess, sets)
    as_json, _ = median_us(g.assess_json, sets)
    return {
        "assess_us": assess,
        "assess_json_us": as_json,
        "rules": sum(1 for _ in g.rules()),
        "fired_median": statistics.median(fired),
    }


_EXPORT = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench_scale import scaled
from kneeguide.export import export_formats
from kneeguide.plugins import PluginHost, resolve_timeout
g = scaled(int(sys.argv[2]))
timeout = resolve_timeout(None)
host = PluginHost.discover(timeout=timeout)
out = {}
for name in sorted(host.formats):
    start = time.perf_counter()
    report = export_formats(host, [name], g, Path(sys.argv[3]), timeout)
    out[name] = report.failures[0] if report.failures else time.perf_counter() - start
print(json.dumps(out))
"""


def export_all(k: int) -> dict[str, Any]:
    """What ``kneeguide export all`` does, in a fresh process, on the content ``k`` times over.

    The process builds the scaled guidance in memory (``bench_scale``) and
    then calls the command's own export for each format, so its wall time is
    the command's with ``load`` replaced by building the content; each
    format's time, or why it failed, is reported too.
    """
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-c", _EXPORT, str(HERE), str(k), str(Path(tmp) / "out")]
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
        formats = json.loads(done.stdout)
        files = [p for p in (Path(tmp) / "out").rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        bundle = sum(p.stat().st_size for p in files if p.name.endswith(".fhir.json"))
    failed = {name: why for name, why in formats.items() if isinstance(why, str)}
    result: dict[str, Any] = {"formats": formats, "out_mib": size / 2**20, "bundle_mib": bundle / 2**20}
    if failed:
        result["failed"] = "; ".join(f"{name}: {why}" for name, why in failed.items())
    else:
        result["wall_s"] = wall
    return result
