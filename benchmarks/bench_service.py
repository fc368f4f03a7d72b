"""Load on ``POST /assess``: requests per second and p50/p99 latency, against ``g.assess`` in process.

Starts ``kneeguide serve`` on a free loopback port (1 and 2 workers) and
drives it at 1, 16 and 64 concurrent connections for ``--seconds`` each,
posting the clinical vignettes' answer sets in turn.  Then it holds 64
connections for ``--check-seconds`` and counts failed requests (any error or
non-200 answer), which must be none.  Only 127.0.0.1 is ever contacted, and
every run is bounded in time.

The load comes from wrk when it is installed (``apt-get install wrk``: a C
client that leaves the cores to the server) and otherwise from an async
httpx client in this process, which is itself a bottleneck on a small
machine; the output says which.  Run ``python benchmarks/bench_service.py``
or through ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
CONNECTIONS = (1, 16, 64)
WORKERS = (1, 2)

_WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("KNEEGUIDE_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/assess", {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "failed": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def answer_sets() -> list[dict[str, Any]]:
    """The vignettes' answer sets over the baseline: realistic, and each one valid."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    folder = REPO / "tests" / "vignettes"
    baseline = yaml.load((folder / "baseline.yaml").read_text("utf-8"))["baseline"]
    sets = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "baseline.yaml":
            sets += [
                {**baseline, **case["answers"]} for case in yaml.load(path.read_text("utf-8"))["vignettes"]
            ]
    return sets


def in_process(sets: list[dict[str, Any]], rounds: int = 50) -> dict[str, float]:
    """Microseconds per ``g.assess``, and per ``g.assess`` plus the JSON the service sends."""
    import kneeguide

    g = kneeguide.load()
    bare, dumped = [], []
    for _ in range(rounds):
        for a in sets:
            start = time.perf_counter_ns()
            result = g.assess(a)
            middle = time.perf_counter_ns()
            result.to_json()
            end = time.perf_counter_ns()
            bare.append((middle - start) / 1000)
            dumped.append((end - start) / 1000)
    return {"assess_us": statistics.median(bare), "assess_json_us": statistics.median(dumped)}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(workers: int) -> Iterator[str]:
    import httpx

    port = _free_port()
    cmd = [str(BIN / "kneeguide"), "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"kneeguide serve did not start (exit {process.poll()})") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_wrk(url: str, bodies: Path, connections: int, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "KNEEGUIDE_BODIES": str(bodies)},
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "requests": result["requests"],
        "failed": result["failed"],
    }


def load_httpx(url: str, sets: list[dict[str, Any]], connections: int, seconds: float) -> dict[str, float]:
    import httpx

    bodies = [json.dumps(a).encode() for a in sets]
    latencies: list[float] = []
    failed = 0

    async def worker(client: httpx.AsyncClient, offset: int, deadline: float) -> None:
        nonlocal failed
        i = offset
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                reply = await client.post(
                    "/assess", content=bodies[i % len(bodies)], headers={"Content-Type": "application/json"}
                )
                if reply.status_code != 200:
                    failed += 1
            except httpx.HTTPError:
                failed += 1
            latencies.append(time.perf_counter() - start)
            i += 1

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
            start = time.perf_counter()
            await asyncio.gather(*(worker(client, k, start + seconds) for k in range(connections)))
            return time.perf_counter() - start

    elapsed = asyncio.run(main())
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "requests": len(latencies),
        "failed": failed,
    }


def measure(seconds: float = 5, check_seconds: float = 20) -> dict[str, Any]:
    """Every cell, the 64-connection check and the in-process baseline, as one flat dict."""
    sets = answer_sets()
    client = "wrk" if shutil.which("wrk") else "httpx"
    out: dict[str, Any] = {"client": client, **in_process(sets)}
    with tempfile.TemporaryDirectory() as tmp:
        bodies = Path(tmp) / "bodies.jsonl"
        bodies.write_text("".join(json.dumps(a) + "\n" for a in sets), "utf-8")

        def run(url: str, connections: int, duration: float) -> dict[str, float]:
            if client == "wrk":
                return load_wrk(url, bodies, connections, duration)
            return load_httpx(url, sets, connections, duration)

        for workers in WORKERS:
            with serving(workers) as url:
                run(url, 4, 1)  # warm up every worker
                for connections in CONNECTIONS:
                    for key, value in run(url, connections, seconds).items():
                        out[f"w{workers}_c{connections}_{key}"] = value
                if workers == max(WORKERS) and check_seconds > 0:
                    check = run(url, 64, check_seconds)
                    out.update({f"check_{k}": v for k, v in check.items()})
                    out["check_seconds"] = check_seconds
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="seconds per cell (default 5)")
    parser.add_argument("--check-seconds", type=float, default=20, help="seconds of the 64-connection check")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    result = measure(args.seconds, args.check_seconds)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"load from {result['client']}; g.assess in process: {result['assess_us']:.1f} us, "
        f"with the JSON the service sends: {result['assess_json_us']:.1f} us"
    )
    print("| workers | connections | requests/s | p50 | p99 | failed |")
    print("|---|---|---|---|---|---|")
    for workers in WORKERS:
        for c in CONNECTIONS:
            k = f"w{workers}_c{c}_"
            print(
                f"| {workers} | {c} | {result[k + 'rps']:.0f} | {result[k + 'p50_ms']:.2f} ms | "
                f"{result[k + 'p99_ms']:.2f} ms | {result[k + 'failed']} |"
            )
    if "check_failed" in result:
        print(
            f"64 connections for {result['check_seconds']:g} s: {result['check_failed']} failed of "
            f"{result['check_requests']} requests"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
