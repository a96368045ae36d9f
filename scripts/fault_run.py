#!/usr/bin/env python3
"""Fault run: buy, confirm and refund under load while processes die.

Two `spark-billing serve` replicas and a separate refund worker (`refunds
process --watch`) share a fresh PostgreSQL database; the simulated channel
answers at once. Client threads buy plans and quotas (card, PayPal and
balance tenders), top up by card, quote and confirm unsubscriptions, across
both replicas, while replicas are SIGKILLed and restarted, the worker once,
and PostgreSQL is restarted once. After the refunds drain it checks the
ledger and audit chain, the confirmations clients saw, refunds against cash
paid, the channel's records of charges and refunds, the status codes, and
that every process still runs. Exits 1 when a check fails, PostgreSQL is
missing or the run overruns --time-limit; it always cleans up.

    scripts/fault_run.py --bin target/release/spark-billing [--postgres URL] [--seconds 75]

Needs psql and pg_ctlcluster: the local cluster on the URL's port is
restarted, so nothing else should be using it. Standard library only.
"""
import argparse
import collections
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

REGION = "ap-southeast-1"


class OutOfTime(Exception):
    """The whole run took longer than --time-limit."""


def request(port, method, path, key, body=None, idem=None, timeout=30):
    """One HTTP request: (status, parsed JSON or None). Raises OSError or
    http.client.HTTPException when the connection fails."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idem:
        headers["Idempotency-Key"] = idem
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:
        return response.status, None


class Proc:
    """A spark-billing process that can be SIGKILLed and started again alike
    (same port, same data directory); a replica when it has a port."""

    def __init__(self, name, work, argv, env, serve=False):
        self.name, self.env, self.kills, self.proc = name, env, 0, None
        self.data, self.log_path = os.path.join(work, name), os.path.join(work, f"{name}.log")
        os.mkdir(self.data, 0o700)
        self.port = None
        if serve:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            argv = [*argv, "--listen", f"127.0.0.1:{self.port}"]
        self.argv = [argv[0], "--data-dir", self.data, *argv[1:]]

    def start(self):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self):
        self.proc.kill()  # SIGKILL
        self.proc.wait()
        self.kills += 1

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if request(self.port, "GET", "/readyz", None, timeout=2)[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {seconds} s; see {self.log_path}")


class Load:
    """Requests spread over the replicas, and what the clients saw."""

    def __init__(self, replicas, patience=60):
        self.replicas, self.patience = replicas, patience
        self.lock, self.turn = threading.Lock(), 0
        self.statuses, self.events = collections.Counter(), collections.Counter()
        self.bad = []  # 5xx other than 503
        self.confirmed = collections.defaultdict(set)  # instance id -> unsubscription ids seen

    def count(self, what, counter=None):
        with self.lock:
            (self.statuses if counter is None else counter)[what] += 1

    def call(self, method, path, key, body=None, idem=None):
        """Sends the request to the next replica. A refused connection never
        reached a server, so it is sent again; a broken connection and 503
        are repeated only for reads and with an idempotency key."""
        safe = idem is not None or method == "GET"
        deadline = time.monotonic() + self.patience
        while True:
            with self.lock:
                self.turn += 1
                port = self.replicas[self.turn % len(self.replicas)].port
            status, data = None, None
            try:
                status, data = request(port, method, path, key, body, idem)
            except ConnectionRefusedError:
                self.count("refused")
            except (OSError, http.client.HTTPException):
                self.count("broken")
                if not safe:
                    return None, None
            if status is not None:
                self.count(f"{status} {data.get('code', '')}" if status >= 400 and isinstance(data, dict) else status)
                if status >= 500 and status != 503:
                    with self.lock:
                        self.bad.append((method, path, status, data))
                if status != 503 or not safe:
                    return status, data
            if time.monotonic() > deadline:
                return status, data
            time.sleep(0.2)


def setup_accounts(load, operator, count):
    accounts = []
    for i in range(count):
        status, acc = load.call("POST", "/api/v1/accounts", operator, {"name": f"fault-{i}", "currency": "USD"})
        assert status == 201, (status, acc)
        status, key = load.call("POST", f"/api/v1/accounts/{acc['id']}/api-keys", operator, {"label": "fault"})
        assert status == 201, (status, key)
        methods = {}
        for kind, field, value in (("card", "card_number", "4242424242424242"),
                                   ("paypal", "paypal_email", f"fault{i}@example.com")):
            status, pm = load.call("POST", f"/api/v1/accounts/{acc['id']}/payment-methods", key["key"],
                                   {"kind": kind, field: value})
            assert status == 201, (status, pm)
            methods[kind] = pm["id"]
        accounts.append({"id": acc["id"], "key": key["key"], "methods": methods})
    status, region = load.call("GET", f"/api/v1/regions/{REGION}", accounts[0]["key"])
    assert status == 200, (status, region)
    return accounts, [(p["capacity_cu_hours"], p["list_price"]) for p in region["plan_packs"]]


def tenders_for(acc, rng, amount):
    """A card or PayPal tender, sometimes with 1.00 of it from the balance."""
    kind = rng.choice(["card", "card", "paypal"])
    whole, _, frac = amount.partition(".")
    due = int(whole) * 100 + int((frac + "00")[:2])
    if rng.random() < 0.25 and due > 100:
        rest = f"{(due - 100) // 100}.{(due - 100) % 100:02d}"
        return [{"method": "balance", "amount": "1.00"},
                {"method": kind, "payment_method_id": acc["methods"][kind], "amount": rest}]
    return [{"method": kind, "payment_method_id": acc["methods"][kind], "amount": amount}]


def buy_plan(load, acc, rng, prices):
    capacity, price = rng.choice(prices)
    body = {"region_id": REGION, "capacity_cu_hours": capacity, "months": rng.randint(1, 6),
            "tenders": tenders_for(acc, rng, price)}
    status, purchase = load.call("POST", "/api/v1/orders/plan", acc["key"], body, idem=str(uuid.uuid4()))
    if status in (200, 201) and purchase["order"]["status"] == "paid":
        load.count("plans bought", load.events)
        return purchase["instance"]["id"], None
    return None, None


def buy_quota(load, acc, rng):
    """A workspace, an unpaid quota order for it, then its payment."""
    name = f"ws-{uuid.uuid4().hex[:12]}"
    body = {"account_id": acc["id"], "region_id": REGION, "name": name, "billing_method": "subscription"}
    status, ws = load.call("POST", "/api/v1/workspaces", acc["key"], body)
    if status != 201:
        return None, None
    body = {"workspace_id": ws["id"], "cu": 25, "months": rng.randint(1, 3)}
    status, purchase = load.call("POST", "/api/v1/orders/quota", acc["key"], body, idem=str(uuid.uuid4()))
    if status not in (200, 201):
        return None, None
    order = purchase["order"]
    body = {"tenders": tenders_for(acc, rng, order["cash_due"])}
    path = f"/api/v1/orders/{order['id']}/payment"
    status, paid = load.call("POST", path, acc["key"], body, idem=str(uuid.uuid4()))
    if status in (200, 201) and paid["order"]["status"] == "paid":
        load.count("quotas bought", load.events)
        return paid["instance"]["id"], name
    return None, None


def give_back(load, acc, instance_id, workspace):
    status, quote = load.call("POST", "/api/v1/quotes", acc["key"], {"instance_id": instance_id})
    if status != 200 or not quote["eligible"]:
        load.count("quotes not confirmable", load.events)
        return
    body = {"quote_id": quote["quote_id"], "confirm_workspace_deletion": workspace}
    status, unsub = load.call("POST", "/api/v1/unsubscriptions", acc["key"], body, idem=str(uuid.uuid4()))
    if status in (200, 201):
        load.count("confirmations replayed" if unsub["replayed"] else "confirmations", load.events)
        with load.lock:
            load.confirmed[instance_id].add(unsub["id"])


def top_up(load, acc, rng):
    body = {"amount": f"{rng.randint(5, 50)}.00", "method": "card", "payment_method_id": acc["methods"]["card"]}
    status, _ = load.call("POST", f"/api/v1/accounts/{acc['id']}/top-ups", acc["key"], body, idem=str(uuid.uuid4()))
    if status == 200:
        load.count("top-ups", load.events)


def client(load, acc, seed, prices, stop):
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            roll = rng.random()
            if roll < 0.1:
                top_up(load, acc, rng)
                continue
            instance, workspace = buy_plan(load, acc, rng, prices) if roll < 0.6 else buy_quota(load, acc, rng)
            if instance and rng.random() < 0.8:
                give_back(load, acc, instance, workspace)
        except Exception as e:  # a malformed answer is a finding, not the end of the run
            load.count("client errors")
            print(f"client error: {e!r}", file=sys.stderr)


def chaos(replicas, worker, pg_restart, seconds, rng, log):
    """For `seconds`, kills and restarts a replica every few seconds, and the
    worker and PostgreSQL once each."""
    plan = [(seconds * rng.uniform(0.3, 0.45), "postgres"), (seconds * rng.uniform(0.55, 0.7), "worker")]
    at = rng.uniform(2, 6)
    while at < seconds - 6:
        plan.append((at, "replica"))
        at += rng.uniform(4, 9)
    start = time.monotonic()
    for at, what in sorted(plan):
        time.sleep(max(0.0, start + at - time.monotonic()))
        if what == "postgres":
            pg_restart()
        else:
            proc = worker if what == "worker" else rng.choice(replicas)
            proc.kill()
            time.sleep(rng.uniform(0.2, 3))
            proc.start()
            if proc.port:
                proc.wait_ready()
        log[f"{what} restarts"] += 1
    time.sleep(max(0.0, start + seconds - time.monotonic()))


def psql(url, sql):
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtX", "-F", "|", "-c", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return [line.split("|") for line in out.stdout.splitlines() if line]


def postgres_restarter(server_url):
    """A function restarting the local cluster that serves the URL's port."""
    port = str(urllib.parse.urlparse(server_url).port or 5432)
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout
    clusters = [line.split()[:2] for line in out.splitlines() if line.split()[2:3] == [port]]
    if not clusters:
        raise RuntimeError(f"no local PostgreSQL cluster listens on port {port} (pg_lsclusters)")

    def restart():
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", *clusters[0], "restart"]
        subprocess.run(command, check=True, timeout=120)
        for _ in range(60):
            if subprocess.run(["psql", server_url, "-qAtc", "SELECT 1"], capture_output=True).returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError("PostgreSQL did not come back after its restart")

    return restart


def drain(db, seconds):
    """Waits until no refund is pending and no charge is half-way."""
    deadline = time.monotonic() + seconds
    while True:
        left = psql(db, "SELECT (SELECT count(*) FROM refunds WHERE status = 'pending'), "
                        "(SELECT count(*) FROM charges WHERE status = 'requested')")[0]
        if left == ["0", "0"] or time.monotonic() > deadline:
            return int(left[0]), int(left[1])
        time.sleep(1)


# Each query lists what breaks the rule named; none must come back.
CHECK_SQL = {
    "refunds of each order (not failed) at most its cash paid":
        "SELECT r.order_id FROM refunds r WHERE r.status <> 'failed' GROUP BY r.order_id HAVING sum(r.amount_minor) "
        "> (SELECT coalesce(sum(t.amount_minor), 0) FROM tenders t WHERE t.order_id = r.order_id)",
    "every card and PayPal refund reached the channel":
        "SELECT r.id FROM refunds r WHERE r.destination IN ('card', 'paypal') "
        "AND NOT EXISTS (SELECT 1 FROM channel_requests c WHERE c.refund_id = r.id)",
    "the channel received no refund the billing does not know":
        "SELECT c.refund_id FROM channel_requests c WHERE NOT EXISTS (SELECT 1 FROM refunds r WHERE r.id = c.refund_id)",
    "each card or PayPal refund names a charge of its order":
        "SELECT r.id FROM refunds r WHERE r.destination IN ('card', 'paypal') AND NOT EXISTS "
        "(SELECT 1 FROM charges g WHERE g.id = r.charge_id AND g.order_id = r.order_id)",
    "no channel refund took more than its charge captured":
        "SELECT charge_id FROM channel_charges WHERE refunded_minor > amount_minor",
    "every captured charge paid an order that is paid or refunded, or credited a top-up":
        "SELECT c.charge_id FROM channel_charges c LEFT JOIN charges g ON g.id = c.charge_id "
        "LEFT JOIN orders o ON o.id = g.order_id WHERE c.outcome = 'captured' AND (g.status IS DISTINCT FROM "
        "'captured' OR (g.order_id IS NOT NULL AND o.status NOT IN ('paid', 'refunded')))",
    "the billing holds no captured charge the channel did not capture":
        "SELECT g.id FROM charges g WHERE g.status = 'captured' AND g.method IN ('card', 'paypal') AND NOT EXISTS "
        "(SELECT 1 FROM channel_charges c WHERE c.charge_id = g.id AND c.outcome = 'captured')",
    "no charge paid two tenders":
        "SELECT charge_id FROM tenders WHERE charge_id IS NOT NULL GROUP BY charge_id HAVING count(*) > 1",
    "each card and PayPal tender was captured once, for its amount":
        "SELECT t.order_id FROM tenders t WHERE t.method IN ('card', 'paypal') AND NOT EXISTS (SELECT 1 FROM "
        "channel_charges c WHERE c.charge_id = t.charge_id AND c.outcome = 'captured' AND c.amount_minor = t.amount_minor)",
}


def run_checks(bin_path, db, work, load, procs, chaos_log, left):
    results = []

    def check(name, ok, detail=""):
        results.append(bool(ok))
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + str(detail) if detail else ''}")

    env = dict(os.environ, DATABASE_URL=db)
    for command in (["ledger", "check"], ["audit", "verify"]):
        out = subprocess.run([bin_path, "--data-dir", os.path.join(work, "cli"), *command], env=env,
                             capture_output=True, text=True, timeout=300)
        check(f"spark-billing {' '.join(command)}", out.returncode == 0,
              (out.stdout.strip().splitlines() or [out.stderr.strip()])[-1])
    check("no refund left pending and no payment half-way", left == (0, 0), f"pending {left[0]}, half-way {left[1]}")
    twice = [i for i, ids in load.confirmed.items() if len(ids) != 1]
    check("each instance confirmed under one unsubscription id", not twice, twice[:5])
    ids = sorted(set().union(*load.confirmed.values()))
    stored = collections.Counter()
    for start in range(0, len(ids), 500):
        chunk = ",".join(f"'{i}'" for i in ids[start:start + 500])
        stored.update(uid for (uid,) in psql(db, f"SELECT id FROM unsubscriptions WHERE id IN ({chunk})"))
    missing = [i for i in ids if stored[i] != 1]
    check(f"every confirmation a client saw ({len(ids)}) exists exactly once", ids and not missing, missing[:5])
    for name, sql in CHECK_SQL.items():
        check(name, not (rows := psql(db, sql)), [r[0] for r in rows[:5]])
    check("no 5xx other than 503", not load.bad, load.bad[:5])
    check("no malformed answer", load.statuses["client errors"] == 0)
    check("PostgreSQL restarted once, the worker killed once, replicas several times",
          chaos_log["postgres restarts"] == 1 and chaos_log["worker restarts"] == 1
          and chaos_log["replica restarts"] >= 2, dict(chaos_log))
    for p in procs:
        check(f"{p.name} still running", p.alive(), "" if p.alive() else f"exit {p.proc.returncode}")
        panicked = "panicked" in open(p.log_path, errors="replace").read()
        check(f"{p.name} never panicked", not panicked, p.log_path if panicked else "")
    return results


def figures(db, load, procs, drained):
    print("\nrequests by status:", dict(sorted(load.statuses.items(), key=str)))
    print("clients saw:", dict(load.events))
    log = open(procs[-1].log_path, errors="replace").read()
    passes = [p.split() for p in log.splitlines() if p.startswith("pass ") and p.endswith("channel errors")]
    settled = sum(int(p[4]) + int(p[6]) for p in passes)
    print(f"drained in {drained:.0f} s; the separate worker settled {settled} refunds in {len(passes)} passes")
    for label, sql in (("orders", "SELECT status, count(*) FROM orders GROUP BY 1 ORDER BY 1"),
                       ("charges", "SELECT method || ' ' || status, count(*) FROM charges GROUP BY 1 ORDER BY 1"),
                       ("unsubscriptions (full refund)", "SELECT full_refund, count(*) FROM unsubscriptions "
                                                         "GROUP BY 1 ORDER BY 1"),
                       ("refunds", "SELECT destination || ' ' || status, count(*) FROM refunds GROUP BY 1 ORDER BY 1"),
                       ("channel refunds (outcome, count, repeats)", "SELECT outcome, count(*), sum(repeats) "
                                                                     "FROM channel_requests GROUP BY 1 ORDER BY 1")):
        print(f"{label}:", ", ".join(" ".join(r) for r in psql(db, sql)))
    print("kills:", {p.name: p.kills for p in procs})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("SPARK_BILLING_BIN"), help="the release binary")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres", help="server URL")
    parser.add_argument("--seconds", type=int, default=75, help="how long the load runs")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--drain", type=int, default=150, help="most seconds to wait for refunds to settle")
    parser.add_argument("--time-limit", type=int, default=600, help="most seconds for the whole run")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    if not args.bin or not os.access(args.bin, os.X_OK):
        sys.exit(f"fault: no executable binary (--bin or SPARK_BILLING_BIN): {args.bin}")
    print(f"fault: seed {args.seed}, {args.seconds} s of load, {args.threads} clients")

    def out_of_time(*_):
        raise OutOfTime(f"the run took longer than {args.time_limit} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.time_limit)
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="spark-billing-fault-")
    name = f"sb_fault_{os.getpid()}_{int(time.time())}"
    db = args.postgres.rsplit("/", 1)[0] + "/" + name
    procs, stop, results, created = [], threading.Event(), [], False
    try:
        restart_postgres = postgres_restarter(args.postgres)
        psql(args.postgres, f"CREATE DATABASE {name}")
        created = True
        env = dict(os.environ, DATABASE_URL=db, RUST_LOG="warn")
        serve = [args.bin, "serve", "--clock", "system", "--rate-limit", "0", "--channel-delay", "0s"]
        replicas = [Proc(n, work, serve, env, serve=True) for n in ("replica-a", "replica-b")]
        worker = Proc("worker", work, [args.bin, "refunds", "process", "--watch", "--worker", "fault",
                                       "--channel-delay", "0s", "--interval-ms", "200"], env)
        for p in [*replicas, worker]:  # one after the other: the first runs the migrations
            procs.append(p)
            p.start()
            if p.port:
                p.wait_ready()
        load = Load(replicas)
        operator = open(os.path.join(replicas[0].data, "operator-key")).read().strip()
        accounts, prices = setup_accounts(load, operator, args.accounts)
        clients = [threading.Thread(target=client, daemon=True,
                                    args=(load, accounts[i % len(accounts)], rng.random(), prices, stop))
                   for i in range(args.threads)]
        for t in clients:
            t.start()
        chaos_log = collections.Counter()
        chaos(replicas, worker, restart_postgres, args.seconds, rng, chaos_log)
        stop.set()
        for t in clients:
            t.join(timeout=load.patience + 5)
        drain_start = time.monotonic()
        left = drain(db, args.drain)
        figures(db, load, procs, time.monotonic() - drain_start)
        print("restarts:", dict(chaos_log), "\n")
        results = run_checks(args.bin, db, work, load, procs, chaos_log, left)
    except Exception as e:
        print(f"FAIL the run stopped: {e!r}")
        results.append(False)
    finally:
        signal.alarm(0)
        stop.set()
        for p in procs:
            if p.alive():
                p.kill()
        if created:
            try:
                psql(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception as e:
                print(f"could not drop the database {name}: {e}")
        if results and all(results):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}")
    passed = sum(results)
    print(f"\nfault: {passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
