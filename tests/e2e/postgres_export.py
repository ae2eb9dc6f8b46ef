"""PostgreSQL and portable .sql export end to end, against the throwaway server of
postgres_server.py (its DIR/url). Cases:
  compare  --ranks N: export the generated dirty dump + a file of hard titles (quotes, backslashes,
           non-ASCII, Spark-quoted) + the bundled sample to PostgreSQL; every table equals the
           SQLite export of the same run row by row (runs row included); a second run with
           --sql file:out.sql; the script loads with psql and with sqlite3 to the same rows.
  faults   --ranks N: after a good run, each DUMPMILL_FAULT point (and an unreachable server and a
           failed COPY) fails the run and leaves the live tables and runs exactly as before; the
           next good run publishes and leaves no staging table behind.
  refuse:  a URL with a password is refused (exit 2) without printing the password; a role that
           needs a password connects with PGPASSWORD, and fails with exit 3 without it.
usage: postgres_export.py CASE --dumpmill BIN --job JOB --gen GEN --sample F --server DIR
                          --work DIR [--ranks N]"""

import argparse
import csv
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_mpi_yield_when_idle": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}
FAILURES = []
# Column kinds per table, to compare PostgreSQL's text output with SQLite's typed values.
TABLES = {
    "pairs": "ttti",
    "articles": "tiii",
    "types": "tii",
    "runs": "tttti" + "t" + "i" * 10 + "r" + "t",
}
# Titles the parser lets through unchanged (it rejects control bytes, so tab/newline/CR are
# covered by tests/sql/pg_export_test.cpp instead): quotes, backslashes, SQL-looking text,
# non-ASCII, a 2024 Spark-quoted title (decoded to "Fast"_Eddie), psql/sqlite3 meta-lookalikes.
HARD = [
    ("O'Brien", "It's_a_\"quote\""), ("TBWA\\Chiat\\Day", "back\\\\slash\\"),
    ("Robert');_DROP_TABLE_pairs;--", "Ünïcödé_日本語_😀"), ("\\.", ".quit"),
    ("\"\\\"Fast\\\"_Eddie\"", "''"), ("a:b_:c_:'d'", "$$dollar$$"), ("\\copy", "E'\\\\x41'"),
]


def expect(cond, what):
    if not cond:
        FAILURES.append(what)
    print(("ok   " if cond else "FAIL ") + what, flush=True)


def psql(url, sql, check=True):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"psql failed: {sql}: {p.stderr}")
    return p


def fresh_db(base, name):
    psql(base + "/postgres", f"DROP DATABASE IF EXISTS {name}")
    psql(base + "/postgres", f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def pg_rows(url, table):
    """Every row of a table as typed tuples, sorted (None when the table does not exist)."""
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                        f"COPY {table} TO STDOUT (FORMAT csv)"], capture_output=True)
    if p.returncode != 0:
        return None
    kinds = TABLES[table]
    rows = []
    for rec in csv.reader(io.StringIO(p.stdout.decode("utf-8"), newline="")):
        rows.append(tuple(int(v) if k == "i" else float(v) if k == "r" else v for v, k in zip(rec, kinds)))
    return sorted(rows)


def sqlite_rows(path, table):
    db = sqlite3.connect(path)
    try:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        kinds = TABLES[table]
        for row in rows:
            for v, k in zip(row, kinds):
                want = {"i": int, "r": float, "t": str}[k]
                if type(v) is not want:
                    FAILURES.append(f"{path}: {table} value {v!r} is {type(v).__name__}, not {want.__name__}")
                    break
        return sorted(rows)
    finally:
        db.close()


def pg_state(url):
    return {t: pg_rows(url, t) for t in TABLES}


def stage_tables(url):
    p = psql(url, "COPY (SELECT relname FROM pg_class WHERE relname LIKE '%\\_stage\\_%') TO STDOUT")
    return p.stdout.split()


class Runner:
    def __init__(self, args):
        self.args = args
        shutil.rmtree(args.work, ignore_errors=True)
        os.makedirs(args.work)
        self.base = open(os.path.join(args.server, "url")).read().strip()
        self.inputs = self.make_inputs()

    def make_inputs(self):
        a = self.args
        gen = os.path.join(a.work, "generated.tsv")
        subprocess.run([a.gen, "--rows", "20000", "--seed", "11", "--out", gen, "--dup-rate", "0.02",
                        "--bad-rate", "0.01", "--quoted-rate", "0.02"], check=True)
        hard = os.path.join(a.work, "hard.tsv")
        with open(hard, "wb") as f:
            for i, (p, c) in enumerate(HARD):
                f.write(f"{p}\t{c}\tlink\t{10 + i}\n".encode())
                f.write(f"other-search\t{p}\texternal\t{3000000000 + i}\n".encode())
        return [gen, hard, a.sample]

    def run(self, out, *flags, env=None, ranks=None):
        cmd = ["mpirun", "-n", str(ranks or self.args.ranks), "--oversubscribe", self.args.dumpmill, "run",
               self.args.job, "--output", out, "--progress", "never", "-q"]
        for i in self.inputs:
            cmd += ["--input", i]
        cmd += list(flags)
        full_env = dict(os.environ, **MPI_ENV)
        full_env.pop("PGPASSWORD", None)
        full_env.update(env or {})
        p = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=600)
        print("$", " ".join(cmd), f"-> exit {p.returncode}", flush=True)
        if p.stderr.strip():
            print(p.stderr.strip()[-3000:], flush=True)
        return p


def compare_with_sqlite(what, url, sqlite_path, tables=TABLES):
    for t in tables:
        want = sqlite_rows(sqlite_path, t)
        got = pg_rows(url, t)
        expect(got is not None and len(got) == len(want) and len(want) > 0,
               f"{what}: {t} has {len(got) if got is not None else 'no'} rows, SQLite {len(want)}")
        if got != want:
            diff = [r for r in got or [] if r not in set(want)][:3]
            expect(False, f"{what}: {t} rows differ from SQLite, e.g. {diff}")


def case_compare(r):
    a = r.args
    url = fresh_db(r.base, f"dm_cmp{a.ranks}")
    out = os.path.join(a.work, "out-pg")
    p = r.run(out, "--sql", url)
    expect(p.returncode == 0, f"PostgreSQL run at {a.ranks} ranks exits 0")
    sqlite_path = os.path.join(out, "clickstream.sqlite")
    compare_with_sqlite("PostgreSQL", url, sqlite_path)
    titles = {row[0] for row in pg_rows(url, "articles")}
    for p_, c_ in HARD:
        want_prev = "\"Fast\"_Eddie" if p_.startswith("\"\\\"") else p_
        expect(want_prev in titles and c_ in titles, f"hard titles {want_prev!r} and {c_!r} survive exactly")
    big = [row for row in pg_rows(url, "pairs") if row[3] >= 3000000000]
    expect(len(big) == len(HARD), f"counts above 2^31 survive ({len(big)} rows)")
    idx = psql(url, "COPY (SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1) "
                    "TO STDOUT").stdout.split()
    expect(idx == ["articles_by_n_in", "articles_by_title", "pairs_by_curr", "pairs_by_prev"],
           f"PostgreSQL indexes as in SQLite: {idx}")
    expect(stage_tables(url) == [], "no staging table left after a good run")

    # The portable script of a second run, loaded by psql and by sqlite3.
    out2 = os.path.join(a.work, "out-file")
    p = r.run(out2, "--sql", "file:clickstream.sql")
    expect(p.returncode == 0, "file:clickstream.sql run exits 0")
    script = os.path.join(out2, "clickstream.sql")
    expect(os.path.exists(script), "the script is published in the output directory")
    expect(not [f for f in os.listdir(out2) if ".staged-" in f], "no staged file left")
    sqlite2 = os.path.join(out2, "clickstream.sqlite")
    url2 = fresh_db(r.base, f"dm_file{a.ranks}")
    for attempt in (1, 2):  # loading twice replaces the tables and appends to runs
        lp = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url2, "-f", script],
                            capture_output=True, text=True)
        expect(lp.returncode == 0, f"psql -f loads the script (load {attempt}): {lp.stderr[-500:]}")
        loaded = os.path.join(a.work, "loaded.sqlite")
        if attempt == 1 and os.path.exists(loaded):
            os.remove(loaded)
        with open(script, "rb") as f:
            sp = subprocess.run(["sqlite3", "-bail", loaded], stdin=f, capture_output=True, text=True)
        expect(sp.returncode == 0 and not sp.stderr, f"sqlite3 loads the script (load {attempt}): {sp.stderr[-500:]}")
    for t in TABLES:
        want = sqlite_rows(sqlite2, t)
        if t == "runs":
            want = want * 2
        expect(pg_rows(url2, t) == sorted(want), f"script via psql: {t} equals the SQLite export")
        expect(sqlite_rows(loaded, t) == sorted(want), f"script via sqlite3: {t} equals the SQLite export")


def case_faults(r):
    a = r.args
    url = fresh_db(r.base, f"dm_fault{a.ranks}")
    first = os.path.join(a.work, "out-good")
    expect(r.run(first, "--sql", url).returncode == 0, "baseline run exits 0")
    before = pg_state(url)
    expect(all(before[t] for t in TABLES), "baseline published every table")
    # A second input set for the faulty runs, so a wrongly published table would differ.
    r.inputs = r.inputs[1:]
    points = [("pg_mid_copy", None), ("pg_after_copy", 3), ("pg_before_commit", 3), ("pg_kill_before_commit", None)]
    for fault, code in points:
        out = os.path.join(a.work, "out-" + fault)
        p = r.run(out, "--sql", url, env={"DUMPMILL_FAULT": fault})
        if code is None:  # a SIGKILLed rank: mpirun reports the signal
            expect(p.returncode != 0, f"{fault}: the run fails (exit {p.returncode})")
        else:
            expect(p.returncode == code, f"{fault}: exit code {p.returncode} == {code}")
        expect(pg_state(url) == before, f"{fault}: live tables and runs unchanged")
        published = os.path.exists(os.path.join(out, "clickstream.h5"))
        if fault in ("pg_before_commit", "pg_kill_before_commit"):
            # COMMIT is the last step, after the files: this is the one documented window.
            expect(published, f"{fault}: files were published before COMMIT (documented ordering)")
            if code is not None:
                expect("the result files were published" in p.stderr, f"{fault}: message says the files were published")
        else:
            expect(not published, f"{fault}: no result file published")
    # An unreachable server: nothing listens on port 9 (discard) of this host.
    out = os.path.join(a.work, "out-unreachable")
    p = r.run(out, "--sql", "postgresql://postgres@127.0.0.1:9/dm?connect_timeout=5")
    expect(p.returncode == 3, f"unreachable server: exit code {p.returncode} == 3")
    expect("PostgreSQL postgresql://postgres@127.0.0.1:9/dm?connect_timeout=5: connect failed" in p.stderr,
           "unreachable server: the message names the URL and says connect failed")
    expect(not os.path.exists(os.path.join(out, "clickstream.h5"))
           and not os.path.exists(os.path.join(out, "clickstream.sqlite")), "unreachable server: nothing published")
    expect(not [f for f in os.listdir(out) if ".staged-" in f] if os.path.exists(out) else True,
           "unreachable server: no staged file left")
    # The next good run drops the leftovers of the killed runs and publishes.
    expect(len(stage_tables(url)) > 0, "the killed runs left staging tables (what the next run must clean)")
    psql(url, "CREATE TABLE pairs_stage_backup (x int)")  # a user's table that only looks like one
    out = os.path.join(a.work, "out-after")
    p = r.run(out, "--sql", url)
    expect(p.returncode == 0, "the next good run exits 0")
    expect(stage_tables(url) == ["pairs_stage_backup"],
           f"the next good run dropped every leftover staging table and nothing else: {stage_tables(url)}")
    compare_with_sqlite("after faults", url, os.path.join(out, "clickstream.sqlite"), ["pairs", "articles", "types"])
    runs = pg_rows(url, "runs")
    expect(len(runs) == 2 and before["runs"][0] in runs
           and sqlite_rows(os.path.join(out, "clickstream.sqlite"), "runs")[0] in runs,
           f"runs holds the baseline and the last good run only ({len(runs)} rows)")


def case_refuse(r):
    a = r.args
    password = open(os.path.join(a.server, "password")).read()
    host = r.base.split("@", 1)[1]
    fresh_db(r.base, "dm_refuse")
    for url in (f"postgresql://postgres:{password}@{host}/dm_refuse",
                f"postgresql://postgres@{host}/dm_refuse?password={password}"):
        out = os.path.join(a.work, "out-refused")
        p = r.run(out, "--sql", url)
        expect(p.returncode == 2, f"URL with a password: exit code {p.returncode} == 2")
        expect(password not in p.stdout + p.stderr, "the password is never printed")
        expect("PGPASSWORD" in p.stderr, "the message says where the password goes")
        expect(not os.path.exists(os.path.join(out, "clickstream.h5")), "nothing published")
    url = f"postgresql://dm_pw@{host}/dm_refuse"
    out = os.path.join(a.work, "out-nopw")
    p = r.run(out, "--sql", url, env={"PGPASSFILE": "/nonexistent"})
    expect(p.returncode == 3, f"a role needing a password, none given: exit code {p.returncode} == 3")
    expect("password" in p.stderr, "the message says a password is missing")
    expect(not os.path.exists(os.path.join(out, "clickstream.h5")), "nothing published")
    out = os.path.join(a.work, "out-pw")
    p = r.run(out, "--sql", url, env={"PGPASSWORD": password})
    expect(p.returncode == 0, "PGPASSWORD connects the role that needs a password")
    expect(password not in p.stdout + p.stderr, "the password is never printed")
    pgpass = os.path.join(a.work, "pgpass")
    with open(pgpass, "w") as f:
        f.write("*:*:*:dm_pw:" + password.replace("\\", "\\\\").replace(":", "\\:") + "\n")
    os.chmod(pgpass, 0o600)
    p = r.run(os.path.join(a.work, "out-pgpass"), "--sql", url, env={"PGPASSFILE": pgpass})
    expect(p.returncode == 0, "PGPASSFILE connects the role that needs a password")
    reader = f"{r.base}/dm_refuse"  # the trusted superuser reads back what dm_pw wrote
    compare_with_sqlite("PGPASSFILE run", reader, os.path.join(a.work, "out-pgpass", "clickstream.sqlite"),
                        ["pairs", "articles", "types"])
    expect(len(pg_rows(reader, "runs")) == 2, "runs holds the PGPASSWORD and the PGPASSFILE run")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["compare", "faults", "refuse"])
    ap.add_argument("--dumpmill", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ranks", type=int, default=1)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.server, "url")):
        print(f"skipped: no PostgreSQL fixture at {args.server}")
        sys.exit(77)
    r = Runner(args)
    {"compare": case_compare, "faults": case_faults, "refuse": case_refuse}[args.case](r)
    if FAILURES:
        print("\n".join("FAIL " + f for f in FAILURES), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
