"""Load generator for the HTTP API on loopback: entity lookups and 3-hop paths at 50 concurrent clients.

Builds a graph at the ``state`` scale (~50k traces) synthetically through the store API (upsert_nodes /
upsert_relationships), starts ``tracegraph serve`` over it in a separate process, and drives it with ``wrk``
(a C load generator, closed loop: each of ``--clients`` connections sends its next request when the answer
arrived; ``apt-get install -y wrk``) or, without wrk, with httpx (async, one connection per client, in this
process: the client then competes with the server for the CPU). Prints req/s, p50 and p99 per request kind and
the errors (non-200 answers and socket errors). ``health`` is the trivial-route reference: what the server
stack itself costs on this machine.

    .venv/bin/python bench/bench_api.py [--traces 50000] [--clients 50] [--seconds 10] [--driver auto|wrk|httpx]

Targets (issue 6): p99 < 50 ms for lookups, < 250 ms for paths, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pyarrow as pa

from api.security import KeyFile
from api.settings import Settings
from graph.embedded_store import EmbeddedStore

STATES = ["AL", "AZ", "CA", "FL", "GA", "IL", "IN", "MD", "MI", "NC", "NJ", "NY", "OH", "PA", "SC", "TX", "VA"]


def build(db: Path, traces: int, seed: int = 7) -> dict[str, list[str]]:
    """A state-scale trace graph; returns sample keys for the load generator."""
    rng = np.random.default_rng(seed)
    n_dealers, n_persons = traces // 2 + 1, int(traces * 1.3)
    dealers = [f"1-{i % 90:02d}-{i:05d}" for i in range(n_dealers)]
    persons = [f"P{i:07d}" for i in range(n_persons)]
    firearms = [f"MAKER|S{i:08d}|PISTOL" for i in range(traces)]
    recoveries = [f"T{i:08d}" for i in range(traces)]
    state_of = rng.choice(STATES, n_persons)
    day0 = dt.date(2018, 1, 1)
    with EmbeddedStore(db) as store:
        store.init_schema()
        store.upsert_nodes("Location", pa.table({
            "location_key": [f"state:US-{s}" for s in STATES], "kind": ["state"] * len(STATES),
            "name": STATES, "state": STATES}))
        store.upsert_nodes("Dealer", pa.table({
            "dealer_key": dealers, "license_number": [f"{d[:4]}-001-01-5A-{d[-5:]}" for d in dealers],
            "business_name": [f"DEALER {i}" for i in range(n_dealers)],
            "premise_state": rng.choice(STATES, n_dealers).tolist(),
            "anomaly_score": rng.gamma(2.0, 1.0, n_dealers).round(3).tolist()}))
        store.upsert_nodes("Person", pa.table({
            "person_key": persons, "last_name": [f"NAME{i % 5000}" for i in range(n_persons)],
            "first_name": [f"F{i % 300}" for i in range(n_persons)], "state": state_of.tolist(),
            "straw_score": rng.beta(1, 8, n_persons).round(4).tolist()}))
        store.upsert_nodes("Firearm", pa.table({
            "firearm_key": firearms, "serial_number": [f"S{i:08d}" for i in range(traces)],
            "serial_normalized": [f"S{i:08d}" for i in range(traces)], "manufacturer": ["MAKER"] * traces}))
        sale_days = rng.integers(0, 1500, traces)
        store.upsert_nodes("Recovery", pa.table({
            "trace_id": recoveries, "recovery_state": rng.choice(STATES, traces).tolist(),
            "recovery_date": [day0 + dt.timedelta(days=int(d) + 200) for d in sale_days],
            "time_to_crime_days": [200] * traces}))
        dealer_of = rng.integers(0, n_dealers, traces)
        # a fifth of purchasers buy several guns (straw pattern); possessors are other persons
        buyer = np.where(rng.random(traces) < 0.2, rng.integers(0, n_persons // 50, traces),
                         rng.integers(0, n_persons, traces))
        possessor = rng.integers(0, n_persons, traces)
        store.upsert_relationships("SOLD", "Dealer", "Firearm", pa.table({
            "from_key": [dealers[i] for i in dealer_of], "to_key": firearms,
            "sale_date": [day0 + dt.timedelta(days=int(d)) for d in sale_days]}))
        store.upsert_relationships("PURCHASED", "Person", "Firearm", pa.table({
            "from_key": [persons[i] for i in buyer], "to_key": firearms,
            "sale_id": [f"trace:{t}" for t in recoveries], "dealer_key": [dealers[i] for i in dealer_of]}))
        store.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery",
                                   pa.table({"from_key": firearms, "to_key": recoveries}))
        store.upsert_relationships("POSSESSED_BY", "Recovery", "Person", pa.table({
            "from_key": recoveries, "to_key": [persons[i] for i in possessor]}))
        store.upsert_relationships("AT", "Recovery", "Location", pa.table({
            "from_key": recoveries, "to_key": [f"state:US-{s}" for s in rng.choice(STATES, traces)]}))
        links = rng.integers(0, traces, (traces // 10, 2))
        store.upsert_relationships("NIBIN_LINK", "Recovery", "Recovery", pa.table({
            "from_key": [recoveries[a] for a, _ in links], "to_key": [recoveries[b] for _, b in links],
            "lead_id": [f"L{i}" for i in range(len(links))]}))
    pairs = [f"source=person:{persons[buyer[i]]}&target=person:{persons[possessor[i]]}&max_hops=3"
             for i in rng.integers(0, traces, 500)]
    return {"persons": [persons[i] for i in rng.integers(0, n_persons, 500)],
            "dealers": [dealers[i] for i in rng.integers(0, n_dealers, 500)],
            "firearms": [firearms[i] for i in rng.integers(0, traces, 500)], "pairs": pairs}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# wrk: each connection sends its next request when the previous answer arrived (closed loop); the script
# rotates through the sample URLs and prints one JSON line with the figures of the round.
WRK_SCRIPT = """
local paths, counter, errors = {}, 0, 0
for line in io.lines(os.getenv("BENCH_URLS")) do paths[#paths + 1] = line end
wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY")
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "seconds": %.3f, "p50": %.2f, "p99": %.2f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors + e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Round:
    kind: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self) -> str:
        return (f"{self.kind:<10}{self.requests:>10}{self.requests / self.seconds:>10.0f}{self.p50_ms:>10.1f}"
                f"{self.p99_ms:>10.1f}{self.errors:>8}")


def drive_wrk(wrk: str, base: str, key: str, kind: str, urls: list[str], clients: int, seconds: float,
              threads: int, workdir: Path) -> Round:
    script, listing = workdir / "rotate.lua", workdir / f"{kind}.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(urls) + "\n")
    result = subprocess.run(
        [wrk, f"-t{threads}", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(script), base],
        env={**os.environ, "BENCH_URLS": str(listing), "BENCH_KEY": key}, capture_output=True, text=True,
        check=True)
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    return Round(kind, figures["requests"], figures["seconds"], figures["p50"], figures["p99"], figures["errors"])


async def drive(base: str, key: str, requests: list[tuple[str, str]], clients: int
                ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, timeout=30) as http:
            while not queue.empty():
                kind, url = queue.get_nowait()
                started = time.perf_counter()
                response = await http.get(url)
                latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors[kind] = errors.get(kind, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def drive_httpx(base: str, key: str, kind: str, urls: list[str], clients: int, count: int) -> Round:
    rng = random.Random(1)
    requests = [(kind, rng.choice(urls)) for _ in range(count)]
    latencies, errors, seconds = asyncio.run(drive(base, key, requests, clients))
    values = sorted(latencies[kind])
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return Round(kind, len(values), seconds, statistics.median(values), p99, errors.get(kind, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="tracegraph serve --workers (server processes)")
    parser.add_argument("--requests", type=int, default=4000, help="requests per round (httpx driver)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a round (wrk driver)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (each drives clients/threads)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of load per kind before the measured round, not counted (one-time work on "
                             "first use, e.g. the dealer transparency estimates, stays out of the figures)")
    parser.add_argument("--driver", choices=("auto", "wrk", "httpx"), default="auto",
                        help="load generator: wrk (C, closed loop) when installed, else httpx in this process")
    parser.add_argument("--mix", default="health,persons,dealers,firearms,paths",
                        help="comma-separated request kinds, run as separate rounds (health: the trivial-route "
                             "ceiling, no authentication)")
    args = parser.parse_args()
    wrk = shutil.which("wrk") if args.driver in ("auto", "wrk") else None
    if args.driver == "wrk" and wrk is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.lbug"
        started = time.perf_counter()
        samples = build(db, args.traces)
        print(f"built graph with {args.traces:,} traces in {time.perf_counter() - started:.1f} s")
        record, secret = KeyFile.for_settings(Settings(db=db)).create("investigator", "bench")
        port = free_port()
        env = {**os.environ, "TRACEGRAPH_DB": str(db)}
        tracegraph = str(Path(sys.executable).parent / "tracegraph")
        server = subprocess.Popen([tracegraph, "serve", "--port", str(port), "--workers", str(args.workers)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 300:
                    raise SystemExit("server did not start")
                time.sleep(0.2)
            health = httpx.get(f"{base}/api/v1/health").json()
            ready = time.perf_counter() - started
            if args.workers > 1:  # the first worker answered; give the others the same start-up time, and more
                time.sleep(ready * 1.5)
            print(f"server ready in {ready:.1f} s (snapshot {health['snapshot_seconds']} s), {args.workers} "
                  f"worker(s)")
            urls = {"health": ["/api/v1/health"],
                    "persons": [f"/api/v1/persons/{quote(k, safe='')}?depth=1&limit=50" for k in samples["persons"]],
                    "dealers": [f"/api/v1/dealers/{quote(k, safe='')}" for k in samples["dealers"]],
                    "firearms": [f"/api/v1/firearms/{quote(k, safe='')}" for k in samples["firearms"]],
                    "paths": [f"/api/v1/paths?{q}" for q in samples["pairs"]]}
            driver = (f"wrk -t{args.threads} -c{args.clients} -d{args.seconds:g}s after {args.warmup:g} s warm-up"
                      if wrk else f"httpx, {args.clients} clients")
            print(f"driver: {driver}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run")
            print(f"{'kind':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
            key = f"{record.key_id}.{secret}"
            for kind in args.mix.split(","):
                if wrk:
                    if args.warmup > 0:
                        drive_wrk(wrk, base, key, kind, urls[kind], args.clients, args.warmup, args.threads,
                                  Path(tmp))
                    result = drive_wrk(wrk, base, key, kind, urls[kind], args.clients, args.seconds, args.threads,
                                       Path(tmp))
                else:
                    if args.warmup > 0:
                        drive_httpx(base, key, kind, urls[kind], args.clients, args.clients * 10)
                    result = drive_httpx(base, key, kind, urls[kind], args.clients, args.requests)
                print(result.line(), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
