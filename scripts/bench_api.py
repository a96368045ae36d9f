#!/usr/bin/env python3
"""HTTP benchmark of the quote endpoint against /healthz on the same server.

Starts `spark-billing serve --demo` on a fresh SQLite file or PostgreSQL
database, stores COUNT resource plans (100,000 by default) for the demo
customer `acme-analytics` straight in the database, then runs wrk with 64
connections against GET /healthz and POST /api/v1/quotes (random instances),
in the same run, and prints requests/s of both, their ratio, the p99 latency
of quotes and the server's peak RSS (VmHWM).

The server keeps the facts of the instances it has quoted (see
docs/decisions.md), so before the measured runs a warm-up quotes every
stored instance exactly once, in order (within --warmup seconds; a pass
over 100,000 takes about 5), and its rate is printed as the cold figure.
--warmup 0 measures from a cold start instead.

    scripts/bench_api.py --backend sqlite
    scripts/bench_api.py --backend postgres   # server from $SPARK_BILLING_BENCH_POSTGRES

Needs: a release build (cargo build --release -p spark-billing), wrk, psql
for PostgreSQL.
"""
import argparse
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "..", "target"))
BIN = os.environ.get("SPARK_BILLING_BIN", os.path.join(TARGET, "release", "spark-billing"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_sql(count, account, now_us):
    """Plans bought a day ago with one balance tender each: quotable, eligible."""
    day = 86_400_000_000
    paid = now_us - day
    return [
        (
            "INSERT INTO instances (id, account_id, region_id, commodity, workspace_id, quota_cu, capacity_milli, "
            "used_milli, state, promotion_non_refundable, transferred, auto_renew, created_at) "
            f"SELECT 'ins_bench_' || i, '{account}', 'ap-southeast-1', 'spark_resource_plan', NULL, NULL, 1000000, 0, "
            f"'active', 0, 0, 0, {paid} FROM series"
        ),
        (
            "INSERT INTO orders (id, instance_id, account_id, kind, status, months, currency, list_price_minor, "
            "discount_minor, coupon_minor, voucher_minor, created_at, paid_at, start_at) "
            f"SELECT 'ord_bench_' || i, 'ins_bench_' || i, '{account}', 'new', 'paid', 6, 'USD', 5368, 0, 0, 0, "
            f"{paid}, {paid}, {paid} FROM series"
        ),
        (
            "INSERT INTO tenders (order_id, idx, method, payment_method_id, amount_minor) "
            "SELECT 'ord_bench_' || i, 0, 'balance', NULL, 5368 FROM series"
        ),
    ]


def seed_sqlite(path, count, account, now_us):
    db = sqlite3.connect(path, timeout=60)
    series = f"WITH RECURSIVE series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < {count}) "
    for statement in seed_sql(count, account, now_us):
        db.execute(series + statement)
    db.commit()
    db.close()


def seed_postgres(url, count, account, now_us):
    series = f"WITH series(i) AS (SELECT generate_series(1, {count})) "
    sql = ";\n".join(series + s for s in seed_sql(count, account, now_us)) + ";\nANALYZE;"
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True, check=True)


def wait_ready(base):
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not become ready")


WRK_THREADS = 2


def wrk(url, seconds, script=None, env=None):
    cmd = ["wrk", f"-t{WRK_THREADS}", "-c64", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    mean = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    mean_ms = float(mean.group(1)) * scale_of(mean.group(2))
    return rps, float(p99.group(1)) * scale_of(p99.group(2)), int(non2xx.group(1)) if non2xx else 0, requests, mean_ms


def scale_of(unit):
    """Milliseconds per wrk latency unit."""
    return {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        kb = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
    return kb / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20, help="most seconds of quoting every instance once first")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="spark-billing-bench-api-")
    env = dict(os.environ)
    if args.backend == "postgres":
        server = os.environ.get("SPARK_BILLING_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
        name = f"sb_bench_api_{int(time.time())}"
        subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {name}"], check=True)
        url = server.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite://{work}/bench.sqlite3"
    env["DATABASE_URL"] = url
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [BIN, "serve", "--demo", "--no-workers", "--rate-limit", "0", "--data-dir", work, "--listen", f"127.0.0.1:{port}"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
    try:
        wait_ready(base)
        keys = json.load(open(os.path.join(work, "demo-keys.json")))
        with urllib.request.urlopen(urllib.request.Request(
                base + "/api/v1/accounts", headers={"Authorization": "Bearer " + keys["operator"]})) as r:
            account = next(a["id"] for a in json.load(r) if a["name"] == "acme-analytics")
        now_us = int(time.time() * 1_000_000)
        if args.backend == "postgres":
            seed_postgres(url, args.count, account, now_us)
        else:
            seed_sqlite(url[len("sqlite://"):], args.count, account, now_us)
        ids = os.path.join(work, "instances.txt")
        with open(ids, "w") as f:
            f.write("\n".join(f"ins_bench_{i}" for i in range(1, args.count + 1)))
        wrk_env = dict(os.environ, INSTANCES=ids, API_KEY=keys["customers"]["acme-analytics"])
        script = os.path.join(HERE, "quotes.lua")
        if args.warmup > 0:
            cold = wrk(base, args.warmup, script, dict(wrk_env, IN_ORDER="1", THREADS=str(WRK_THREADS)))
            # wrk runs for the whole duration although its threads stop
            # once every instance is quoted, so the rate comes from the
            # mean latency with 64 requests always in flight.
            print(f"warm-up (cold cache): {cold[3]} quotes of {args.count} instances, each once; "
                  f"about {64000 / cold[4]:.0f}/s (64 / mean latency {cold[4]:.2f} ms), p99 {cold[1]:.2f} ms, "
                  f"non-2xx {cold[2]}")
        results = []
        for run in range(args.runs):
            health = wrk(base + "/healthz", args.seconds)
            quotes = wrk(base, args.seconds, script, wrk_env)
            results.append((health, quotes))
            print(f"run {run + 1}: healthz {health[0]:.0f}/s, quotes {quotes[0]:.0f}/s "
                  f"(p99 {quotes[1]:.2f} ms, non-2xx {quotes[2]}), ratio {quotes[0] / health[0]:.3f}")
        med = lambda xs: sorted(xs)[len(xs) // 2]
        h = med([r[0][0] for r in results])
        q = med([r[1][0] for r in results])
        # Each run pairs healthz and quotes measured back to back, so the
        # ratio is taken per run and its median reported.
        ratio = med([r[1][0] / r[0][0] for r in results])
        p99 = med([r[1][1] for r in results])
        print(f"{args.backend}: {args.count} instances stored; median healthz {h:.0f} req/s, "
              f"median quotes {q:.0f} req/s, median ratio {ratio:.3f}, median quote p99 {p99:.2f} ms, "
              f"server peak RSS {vm_hwm_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
