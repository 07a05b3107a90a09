"""Load generator for the HTTP API on loopback: entity lookups and 3-hop paths at 50 concurrent clients.

Builds a graph at the ``state`` scale (~50k traces) synthetically through the store API (upsert_nodes /
upsert_relationships), starts ``tracegraph serve`` over it in a separate process, and drives it with httpx
(async, one connection per client). Prints req/s, p50 and p99 per request kind and the errors.

    .venv/bin/python bench/bench_api.py [--traces 50000] [--clients 50] [--requests 4000]

Targets (issue 6): p99 < 50 ms for lookups, < 250 ms for paths, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

from api.security import KeyFile
from api.settings import Settings
from graph.kuzu_store import KuzuStore

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
    with KuzuStore(db) as store:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--mix", default="persons,dealers,firearms,paths",
                        help="comma-separated request kinds, run as separate rounds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.kuzu"
        started = time.perf_counter()
        samples = build(db, args.traces)
        print(f"built graph with {args.traces:,} traces in {time.perf_counter() - started:.1f} s")
        record, secret = KeyFile.for_settings(Settings(db=db)).create("investigator", "bench")
        port = free_port()
        env = {**os.environ, "TRACEGRAPH_DB": str(db)}
        tracegraph = str(Path(sys.executable).parent / "tracegraph")
        server = subprocess.Popen([tracegraph, "serve", "--port", str(port)], env=env)
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
            print(f"server ready in {time.perf_counter() - started:.1f} s (snapshot {health['snapshot_seconds']} s)")
            urls = {"persons": [f"/api/v1/persons/{k}?depth=1&limit=50" for k in samples["persons"]],
                    "dealers": [f"/api/v1/dealers/{k}" for k in samples["dealers"]],
                    "firearms": [f"/api/v1/firearms/{k}" for k in samples["firearms"]],
                    "paths": [f"/api/v1/paths?{q}" for q in samples["pairs"]]}
            rng = random.Random(1)
            print(f"{'kind':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
            for kind in args.mix.split(","):
                requests = [(kind, rng.choice(urls[kind])) for _ in range(args.requests)]
                latencies, errors, seconds = asyncio.run(drive(base, f"{record.key_id}.{secret}", requests,
                                                               args.clients))
                values = sorted(latencies[kind])
                p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
                print(f"{kind:<10}{len(values):>10}{len(values) / seconds:>10.0f}"
                      f"{statistics.median(values):>10.1f}{p99:>10.1f}{errors.get(kind, 0):>8}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
