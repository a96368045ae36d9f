#!/usr/bin/env python3
"""How fast a confirmation's own SQL can go, against pgbench tpcb-like.

`billing-bench confirm` measures the whole service. This script asks what
the statements of a confirmation allow by themselves, whatever sends them:

1. It runs `billing-bench confirm` on PostgreSQL until the work of its
   first repetition is prepared, pauses it, and copies its database.
2. It logs the statements (with their parameters) of the confirmations the
   benchmark then runs, and lets it finish.
3. It restores the copy, where those quotas are not yet given back, and has
   pgbench replay one logged confirmation per client: prepared statements,
   one client per account, ending in ROLLBACK instead of COMMIT so the same
   confirmation can run again. It uses as many connections as the service's
   pool on PostgreSQL (8; the benchmark's 16 clients share them). pgbench is
   the lightest client there is, and a rollback flushes no WAL, so this is
   about the most any program sending those statements one round trip each
   can get.
4. A second replay sends the statements from the quote's insert to the audit
   chain as one pipeline (one round trip), as if they were written together.
5. Each round runs both replays and then tpcb-like (16 clients, as the
   benchmark runs it) for the same time, and prints their ratios; the
   medians come last.

    scripts/confirm_ceiling.py --bench target/release/billing-bench

Needs: PostgreSQL from $SPARK_BILLING_BENCH_POSTGRES (a superuser: the script
sets log_min_duration_statement with ALTER SYSTEM for a few seconds and
resets it), the server's log file readable (--server-log) with Debian's
log_line_prefix ('%m [%p] %q%u@%d '), and pg_dump, pg_restore, pgbench and
psql on the PATH.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

SERVER = os.environ.get("SPARK_BILLING_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\S*)@(\S*) (LOG|DETAIL):  (.*)$")
PARAM = re.compile(r"\$(\d+) = ")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d")


def url_for(database):
    parts = urllib.parse.urlsplit(SERVER)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def psql(sql, database="postgres"):
    out = subprocess.run(["psql", url_for(database), "-Atqc", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def parse_parameters(text):
    """`$1 = 'a', $2 = NULL` as {1: "'a'", 2: "NULL"}, quoted as SQL literals.

    A colon inside a value is written as `|`: pgbench would read `:name` in a
    command as one of its variables. The values keep their length.
    """
    out, i = {}, 0
    while True:
        m = PARAM.match(text, i)
        if not m:
            return out
        n, i = int(m.group(1)), m.end()
        if text.startswith("NULL", i):
            out[n], i = "NULL", i + 4
        else:
            j, value = i + 1, []
            while True:
                if text[j] == "'":
                    if text[j + 1 : j + 2] == "'":
                        value.append("'")
                        j += 2
                        continue
                    break
                value.append(text[j])
                j += 1
            literal = "".join(value).replace("'", "''").replace(":", "|")
            out[n], i = f"'{literal}'", j + 1
        if text.startswith(", ", i):
            i += 2


def logged_confirmations(log_text, database):
    """The confirmations in the log, each a list of statements with their
    parameters written in, from BEGIN to COMMIT."""
    entries = []
    for raw in log_text.split("\n"):
        m = LINE.match(raw)
        if m:
            entries.append([m.group(1), m.group(3), m.group(4), m.group(5)])
        elif STAMP.match(raw):
            entries.append([None, None, None, ""])  # another process's line
        elif entries:
            entries[-1][3] += "\n" + raw
    per_backend, statements, awaiting = {}, {}, set()
    for pid, db, kind, text in entries:
        if db != database:
            continue
        if kind == "LOG":
            # Parameters follow both the bind and the execute of a
            # statement: only those after the execute are taken.
            awaiting.discard(pid)
            m = re.match(r"duration: [\d.]+ ms  (?:execute [^:]+|statement): (.*)$", text, re.S)
            if m:
                statements.setdefault(pid, []).append([m.group(1), {}])
                awaiting.add(pid)
        elif text.startswith("parameters: ") and pid in awaiting:
            statements[pid][-1][1] = parse_parameters(text[len("parameters: ") :])
            awaiting.discard(pid)
    for pid, listed in statements.items():
        current = None
        for sql, params in listed:
            if sql.startswith("BEGIN"):
                current = []
            if current is None:
                continue
            current.append(re.sub(r"\$(\d+)\b", lambda m: params[int(m.group(1))], sql).replace("\n", " "))
            if sql.strip() == "COMMIT":
                if any("INSERT INTO quotes" in s for s in current):
                    per_backend.setdefault(pid, []).append(current)
                current = None
    return [c for listed in per_backend.values() for c in listed]


def account_of(confirmation):
    for sql in confirmation:
        m = re.search(r"FROM accounts a .* WHERE a\.id = '([^']+)'", sql)
        if m:
            return m.group(1)
    return None


def replay_script(confirmations, pipelined):
    """One branch per pgbench client, each replaying its own confirmation."""
    lines = []
    for i, statements in enumerate(confirmations):
        lines.append(("\\if" if i == 0 else "\\elif") + f" :client_id = {i}")
        for sql in statements:
            if pipelined and sql.startswith("WITH quote AS"):
                lines.append("\\startpipeline")
            lines.append(("ROLLBACK" if sql.strip() == "COMMIT" else sql) + ";")
            if pipelined and sql.startswith("WITH head AS"):
                lines.append("\\endpipeline")
    lines.append("\\endif")
    if pipelined and lines.count("\\startpipeline") != lines.count("\\endpipeline"):
        sys.exit("a logged confirmation's writes do not end with the audit chain's single statement")
    return "\n".join(lines) + "\n"


def pgbench_tps(args):
    out = subprocess.run(["pgbench", *args], capture_output=True, text=True)
    m = re.search(r"^tps = ([\d.]+)", out.stdout, re.M)
    if out.returncode != 0 or not m:
        sys.exit(f"pgbench {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return float(m.group(1))


def capture(args, workdir):
    """Runs the benchmark, copies its database when the work is prepared and
    logs the confirmations that follow; returns (dump, database, log text).

    Whatever fails, the benchmark is not left paused (it is resumed, or
    ended, and then drops its own databases) and the server's logging is
    put back.
    """
    env = dict(os.environ, SPARK_BILLING_BENCH_POSTGRES=SERVER)
    bench = subprocess.Popen(
        [args.bench, "confirm", "--backend", "postgres", "--clients", str(args.clients), "--seconds", "2",
         "--repetitions", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    logging = False
    try:
        prepared = 0
        for line in bench.stdout:
            if "prepared" in line:
                prepared += 1
                if prepared == 2:
                    break
        if prepared < 2:
            sys.exit("billing-bench confirm ended before its work was prepared")
        bench.send_signal(signal.SIGSTOP)
        try:
            pattern = f"billing_bench_confirm_{bench.pid}_%"
            names = psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{pattern}'").split()
            if len(names) != 1:
                sys.exit(f"expected one database {pattern}, found {names}")
            database = names[0]
            dump = os.path.join(workdir, "confirm.dump")
            subprocess.run(["pg_dump", "-Fc", "-f", dump, url_for(database)], check=True)
            start = os.path.getsize(args.server_log)
            logging = True
            psql("ALTER SYSTEM SET log_min_duration_statement = 0")
            psql("SELECT pg_reload_conf()")
            time.sleep(0.5)
        finally:
            bench.send_signal(signal.SIGCONT)
        for line in bench.stdout:
            if "rep 1" in line:
                break
    except BaseException:
        bench.kill()
        raise
    finally:
        if logging:
            psql("ALTER SYSTEM RESET log_min_duration_statement")
            psql("SELECT pg_reload_conf()")
    bench.stdout.read()
    if bench.wait() != 0:
        sys.exit(f"billing-bench confirm failed (exit {bench.returncode})")
    with open(args.server_log, errors="replace") as f:
        f.seek(start)
        return dump, database, f.read()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", required=True, help="billing-bench (a release build)")
    p.add_argument("--server-log", default="/var/log/postgresql/postgresql-15-main.log")
    p.add_argument("--clients", type=int, default=16, help="the benchmark's and tpcb-like's clients")
    p.add_argument("--connections", type=int, default=8, help="replaying connections (the service's pool)")
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        dump, database, log_text = capture(args, workdir)
        found = logged_confirmations(log_text, database)
        chosen, accounts = [], set()
        for c in found:
            account = account_of(c)
            if account and account not in accounts:
                accounts.add(account)
                chosen.append(c)
        if len(chosen) < args.connections:
            sys.exit(f"only {len(chosen)} confirmations of distinct accounts in the log ({len(found)} in all)")
        chosen = chosen[: args.connections]
        print(f"replaying {len(chosen)} confirmations of distinct accounts over {args.connections} connections, "
              f"{len(chosen[0])} statements each (BEGIN to COMMIT), {len(found)} logged")
        replay, pgb = f"confirm_ceiling_{os.getpid()}", f"confirm_ceiling_pgbench_{os.getpid()}"
        try:
            psql(f"CREATE DATABASE {replay}")
            subprocess.run(["pg_restore", "-d", url_for(replay), dump], check=True)
            psql("ANALYZE", replay)
            psql(f"CREATE DATABASE {pgb}")
            subprocess.run(["pgbench", "-i", "-q", url_for(pgb)], check=True, capture_output=True)
            scripts = {}
            for name, pipelined in (("one by one", False), ("pipelined", True)):
                path = os.path.join(workdir, name.replace(" ", "_") + ".sql")
                with open(path, "w") as f:
                    f.write(replay_script(chosen, pipelined))
                scripts[name] = path
            timing = ["-j", "2", "-T", str(args.seconds)]
            replaying = ["-n", "-M", "prepared", "-c", str(args.connections), *timing]
            ratios = {name: [] for name in scripts}
            for r in range(1, args.rounds + 1):
                figures = {n: pgbench_tps([*replaying, "-f", s, url_for(replay)]) for n, s in scripts.items()}
                tpcb = pgbench_tps(["-c", str(args.clients), *timing, "-b", "tpcb-like", url_for(pgb)])
                line = [f"round {r}:"]
                for n, tps in figures.items():
                    ratios[n].append(tps / tpcb)
                    line.append(f"{n} {tps:.0f} TPS ({tps / tpcb:.2f})")
                line.append(f"tpcb-like {tpcb:.0f} TPS")
                print("  ".join(line), flush=True)
            for n, rs in ratios.items():
                print(f"{n}: median ratio {statistics.median(rs):.2f} "
                      f"({', '.join(f'{x:.2f}' for x in rs)}) of tpcb-like, replayed with ROLLBACK")
        finally:
            for name in (replay, pgb):
                try:
                    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                except subprocess.CalledProcessError as e:
                    print(f"could not drop {name}: {e.stderr}", file=sys.stderr)


if __name__ == "__main__":
    main()
