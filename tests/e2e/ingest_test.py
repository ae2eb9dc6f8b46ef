"""`dumpmill ingest` end to end: two dumps ingested; a re-run is "nothing new" and touches nothing;
one dump re-submitted unchanged and one changed (new version, old one kept, cumulative updated);
two concurrent ingests (one works, the other reports the lock); a SIGKILLed rank, a SIGKILLed
mpirun and a crash between the pointer switch and the manifest update, each followed by a clean
re-run whose results equal a clean ingest's.
usage: ingest_test.py --dumpmill BIN --job JOB --gen GEN --work DIR --ranks N"""

import argparse
import gzip
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_mpi_yield_when_idle": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}
FAILURES = []
EN, DE, FR, JA, IT = (f"clickstream-{w}wiki-2024-11" for w in ("en", "de", "fr", "ja", "it"))


def expect(cond, what):
    if not cond:
        FAILURES.append(what)
    print(("ok   " if cond else "FAIL ") + what, flush=True)


class Ingest:
    def __init__(self, a):
        self.a = a

    def cmd(self, landing, warehouse):
        return ["mpirun", "-n", str(self.a.ranks), "--oversubscribe", self.a.dumpmill, "ingest", self.a.job,
                "--landing", landing, "--warehouse", warehouse, "--progress", "never"]

    def run(self, landing, warehouse, env=None):
        p = subprocess.run(self.cmd(landing, warehouse), env=dict(os.environ, **MPI_ENV, **(env or {})),
                           capture_output=True, text=True, timeout=300)
        print(f"--- ingest exit {p.returncode}\n{p.stdout}{p.stderr}---", flush=True)
        return p

    def start(self, landing, warehouse):
        return subprocess.Popen(self.cmd(landing, warehouse), env=dict(os.environ, **MPI_ENV),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def gen(a, path, rows, seed, codec="plain"):
    tmp = path + ".gen"
    subprocess.run([a.gen, "--rows", str(rows), "--seed", str(seed), "--out", tmp], check=True)
    data = open(tmp, "rb").read()
    os.remove(tmp)
    write(path, gzip.compress(data, compresslevel=6, mtime=0) if codec == "gzip" else data)


def write(path, data):
    # Like an upload: a hidden temporary name, then a rename into the landing directory.
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".upload")
    open(tmp, "wb").write(data)
    os.replace(tmp, path)


def manifest(wh):
    db = sqlite3.connect(f"file:{os.path.join(wh, 'manifest.sqlite')}?mode=ro", uri=True, timeout=10)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM inputs ORDER BY name, version")]
    finally:
        db.close()


def rows_of(wh, name):
    return [r for r in manifest(wh) if r["name"] == name]


def tables(sqlite_path, names=("pairs", "articles", "types")):
    """Every row of the result tables, sorted: the content, without run timestamps."""
    db = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        have = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in names if t in have}
    finally:
        db.close()


def current(wh, stem):
    link = os.path.join(wh, "results", stem, "current")
    return os.readlink(link) if os.path.islink(link) else None


def tree_digest(wh):
    """sha256 of every file in the warehouse, symlink targets included (the lock file aside: it
    holds the last holder's pid)."""
    out = {}
    for root, dirs, files in os.walk(wh):
        for f in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, wh)
            if rel == "ingest.lock":
                continue
            out[rel] = "-> " + os.readlink(p) if os.path.islink(p) else hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def expected_cumulative(wh):
    """articles and types summed in Python over every current result: the independent check."""
    arts, types = {}, {}
    for stem in sorted(os.listdir(os.path.join(wh, "results"))):
        if current(wh, stem) is None:
            continue
        t = tables(os.path.join(wh, "results", stem, "current", "clickstream.sqlite"), ("articles", "types"))
        for title, n_in, n_out, n_ref in t["articles"]:
            a = arts.setdefault(title, [0, 0, 0, 0])
            a[0] += n_in
            a[1] += n_out
            a[2] += n_ref
            a[3] += 1
        for typ, pairs, n in t["types"]:
            s = types.setdefault(typ, [0, 0])
            s[0] += pairs
            s[1] += n
    return {"articles": sorted((k, *v) for k, v in arts.items()),
            "types": sorted((k, *v) for k, v in types.items())}


def check_cumulative(wh, label):
    got = tables(os.path.join(wh, "cumulative.sqlite"), ("articles", "types"))
    want = expected_cumulative(wh)
    expect(got["articles"] == want["articles"],
           f"{label}: cumulative articles = Python sum of the current results ({len(want['articles'])} titles)")
    expect(got["types"] == want["types"], f"{label}: cumulative types = Python sum of the current results")
    return got


def contents(wh):
    """What a user reads: every stem's current tables and the cumulative tables."""
    out = {}
    for stem in sorted(os.listdir(os.path.join(wh, "results"))):
        if current(wh, stem):
            out[stem] = tables(os.path.join(wh, "results", stem, "current", "clickstream.sqlite"))
    out["cumulative"] = tables(os.path.join(wh, "cumulative.sqlite"), ("articles", "types"))
    return out


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def wait_for_running(wh, name, proc, limit=120):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(r["status"] == "running" for r in rows_of(wh, name)):
                return True
        except sqlite3.Error:
            pass  # not created yet, or locked by the writer for a moment
        time.sleep(0.02)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumpmill", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    landing, wh = os.path.join(a.work, "landing"), os.path.join(a.work, "warehouse")
    os.makedirs(landing)
    ing = Ingest(a)

    # --- two dumps ------------------------------------------------------------------------------
    gen(a, os.path.join(landing, EN + ".tsv.gz"), 20000, 1, "gzip")
    gen(a, os.path.join(landing, DE + ".tsv"), 15000, 2)
    p = ing.run(landing, wh)
    expect(p.returncode == 0, f"first ingest exits 0 (got {p.returncode})")
    for name in (EN + ".tsv.gz", DE + ".tsv"):
        expect(re.search(rf"^\[ingest\] {re.escape(name)}: done v1, \d+ rows read, \d+ pairs, [\d.]+ s$",
                         p.stdout, re.M) is not None, f"a 'done' line for {name}")
    m = manifest(wh)
    expect([(r["name"], r["status"], r["version"]) for r in m] ==
           [(DE + ".tsv", "done", 1), (EN + ".tsv.gz", "done", 1)], f"manifest: both done as v1: {m}")
    st = os.stat(os.path.join(landing, DE + ".tsv"))
    de_row = rows_of(wh, DE + ".tsv")[0]
    expect(de_row["size"] == st.st_size and de_row["mtime_ns"] == st.st_mtime_ns, "manifest: size and mtime")
    expect(re.fullmatch(r"[0-9a-f]{16}", de_row["checksum"]) is not None, "manifest: a 64-bit hex checksum")
    expect(de_row["records_read"] == 15000, f"manifest: rows read {de_row['records_read']} == 15000")
    expect(current(wh, EN) == "v1" and current(wh, DE) == "v1", "current -> v1 for both")
    # Each result is exactly what `dumpmill run` makes of that dump alone.
    for stem, name in ((EN, EN + ".tsv.gz"), (DE, DE + ".tsv")):
        out = os.path.join(a.work, "run-" + stem)
        r = subprocess.run(["mpirun", "-n", str(a.ranks), "--oversubscribe", a.dumpmill, "run", a.job, "--input",
                            os.path.join(landing, name), "--output", out, "--progress", "never", "-q"],
                           env=dict(os.environ, **MPI_ENV), capture_output=True, text=True, timeout=300)
        expect(r.returncode == 0, f"dumpmill run on {name} alone")
        expect(tables(os.path.join(wh, "results", stem, "current", "clickstream.sqlite")) ==
               tables(os.path.join(out, "clickstream.sqlite")), f"{stem}: ingest result == `dumpmill run` result")
    cum1 = check_cumulative(wh, "two dumps")

    # --- nothing new: exit 0, one line, nothing rewritten ------------------------------------------
    before, rows_before = tree_digest(wh), manifest(wh)
    p = ing.run(landing, wh)
    expect(p.returncode == 0 and p.stdout.strip().splitlines()[-1:] == ["nothing new"],
           "re-run: exit 0 and 'nothing new' as the last line")
    expect(p.stdout.count("nothing new") == 1, "re-run: 'nothing new' printed once (rank 0 only)")
    # The manifest may only refresh the recorded stat of files hashed within 2 s of their last
    # write (recorded with ctime 0 then, so that they are hashed once more).
    expect({k: v for k, v in tree_digest(wh).items() if k != "manifest.sqlite"} ==
           {k: v for k, v in before.items() if k != "manifest.sqlite"},
           "re-run: every result and the cumulative tables byte-identical")
    expect([{k: v for k, v in r.items() if k != "ctime_ns"} for r in manifest(wh)] ==
           [{k: v for k, v in r.items() if k != "ctime_ns"} for r in rows_before],
           "re-run: the manifest rows unchanged (but for a racy ctime refreshed)")

    # --- EN re-submitted unchanged (a fresh copy: new inode, ctime, mtime), DE changed -------------
    en_bytes = open(os.path.join(landing, EN + ".tsv.gz"), "rb").read()
    time.sleep(0.05)
    write(os.path.join(landing, EN + ".tsv.gz"), en_bytes)
    gen(a, os.path.join(landing, DE + ".tsv"), 15000, 3)
    de_v1 = {k: v for k, v in before.items() if k.startswith(f"results/{DE}/v1/")}
    p = ing.run(landing, wh)
    expect(p.returncode == 0, "changed dump: exit 0")
    expect(f"{EN}.tsv.gz: skipped (unchanged" in p.stdout, "the unchanged re-submission is skipped")
    expect(f"{DE}.tsv: processing as v2 (changed" in p.stdout, "the changed dump is processed as v2")
    de = rows_of(wh, DE + ".tsv")
    expect([(r["version"], r["status"]) for r in de] == [(1, "done"), (2, "done")], f"DE: v1 and v2 done: {de}")
    expect(de[0]["checksum"] != de[1]["checksum"], "DE: the versions have different checksums")
    expect(len(rows_of(wh, EN + ".tsv.gz")) == 1, "EN: still one version")
    expect(current(wh, DE) == "v2", "DE: current -> v2")
    expect({k: v for k, v in tree_digest(wh).items() if k.startswith(f"results/{DE}/v1/")} == de_v1,
           "DE: v1 kept byte-identical beside v2 (for a roll-back)")
    cum2 = check_cumulative(wh, "after the change")
    expect(cum2 != cum1, "the cumulative tables changed with DE v2")

    # --- roll back DE to v1 by hand, as docs/operations.md says; the next ingest follows it --------
    link = os.path.join(wh, "results", DE)
    subprocess.run(["ln", "-sfn", "v1", os.path.join(link, "current.new")], check=True)
    subprocess.run(["mv", "-T", os.path.join(link, "current.new"), os.path.join(link, "current")], check=True)
    p = ing.run(landing, wh)
    expect(p.returncode == 0 and "nothing new" in p.stdout, "after a roll-back: nothing new")
    expect("cumulative.sqlite rebuilt from 2 result(s)" in p.stdout, "after a roll-back: cumulative rebuilt")
    expect(check_cumulative(wh, "rolled back") == cum1, "rolled back: cumulative equals the v1 one again")
    subprocess.run(["ln", "-sfn", "v2", os.path.join(link, "current.new")], check=True)
    subprocess.run(["mv", "-T", os.path.join(link, "current.new"), os.path.join(link, "current")], check=True)
    p = ing.run(landing, wh)
    expect(check_cumulative(wh, "rolled forward") == cum2, "rolled forward: cumulative equals the v2 one")

    # --- two concurrent ingests -----------------------------------------------------------------------
    gen(a, os.path.join(landing, FR + ".tsv"), 200000, 4)
    first = ing.start(landing, wh)
    expect(wait_for_running(wh, FR + ".tsv", first), "concurrent: the first ingest is running FR")
    t0 = time.monotonic()
    second = ing.run(landing, wh)
    took = time.monotonic() - t0
    m = re.search(r"^another ingest is running \(pid (\d+)\)$", second.stdout, re.M)
    expect(second.returncode == 0 and m is not None, "concurrent: the second exits 0 naming the lock holder")
    if m:
        holder = int(m.group(1))
        cmdline = open(f"/proc/{holder}/cmdline", "rb").read().split(b"\0") if os.path.exists(f"/proc/{holder}") else []
        expect(b"ingest" in cmdline and holder == rows_of(wh, FR + ".tsv")[-1]["holder_pid"],
               f"concurrent: pid {holder} is the running ingest's rank 0")
    expect(took < 30, f"concurrent: the second returned in {took:.1f} s, without waiting for the first")
    out, err = first.communicate(timeout=300)
    print(out + err)
    expect(first.returncode == 0 and f"{FR}.tsv: done v1" in out, "concurrent: the first finished FR")
    expect(rows_of(wh, FR + ".tsv")[-1]["status"] == "done", "concurrent: FR done in the manifest")
    check_cumulative(wh, "after the concurrent runs")

    # --- SIGKILL of a rank (rank 0, the lock holder) mid-run, then a clean re-run ---------------------
    gen(a, os.path.join(landing, JA + ".tsv"), 200000, 5)
    before = tree_digest(wh)
    proc = ing.start(landing, wh)
    running = wait_for_running(wh, JA + ".tsv", proc)
    expect(running, "kill rank: JA is running")
    time.sleep(0.5)  # into the parse / shuffle / write
    if running:
        os.kill(rows_of(wh, JA + ".tsv")[-1]["holder_pid"], signal.SIGKILL)
    proc.communicate(timeout=120)
    expect(proc.returncode != 0, f"kill rank: the ingest failed (exit {proc.returncode})")
    expect(rows_of(wh, JA + ".tsv")[-1]["status"] == "running", "kill rank: JA left 'running' in the manifest")
    expect(current(wh, JA) is None, "kill rank: nothing published for JA")
    after = tree_digest(wh)
    expect({k: v for k, v in after.items() if not k.startswith(f"results/{JA}/") and k != "manifest.sqlite"} ==
           {k: v for k, v in before.items() if k != "manifest.sqlite"},
           "kill rank: every published result and the cumulative tables untouched")
    p = ing.run(landing, wh)
    expect(p.returncode == 0 and f"{JA}.tsv: processing as v1 (the ingest that ran it (pid" in p.stdout,
           "kill rank: the re-run redoes JA, saying why")
    expect(rows_of(wh, JA + ".tsv")[-1]["status"] == "done" and current(wh, JA) == "v1", "kill rank: JA done")

    # --- SIGKILL of mpirun and every rank at once (a lost node) mid-run ------------------------
    gen(a, os.path.join(landing, IT + ".tsv"), 200000, 6)
    proc = ing.start(landing, wh)
    running = wait_for_running(wh, IT + ".tsv", proc)
    expect(running, "kill job: IT is running")
    time.sleep(0.8)
    # Open MPI puts each local rank in its own process group: kill mpirun and its children.
    victims = [proc.pid] + children(proc.pid)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    for pid in victims:
        while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
            time.sleep(0.05)
    expect(rows_of(wh, IT + ".tsv")[-1]["status"] == "running" and current(wh, IT) is None,
           "kill job: IT left 'running', nothing published")

    # --- a crash between switching `current` and marking done (fault injection), on a new version -----
    gen(a, os.path.join(landing, EN + ".tsv.gz"), 20000, 7, "gzip")
    p = ing.run(landing, wh, env={"DUMPMILL_FAULT": "ingest-kill-before-done"})
    expect(p.returncode != 0, f"fault: the ingest died (exit {p.returncode})")
    # EN comes first in name order: its v2 is published, then the process dies before the manifest
    # says so. IT is not reached.
    en = rows_of(wh, EN + ".tsv.gz")
    expect(current(wh, EN) == "v2" and en[-1]["version"] == 2 and en[-1]["status"] == "running",
           "fault: EN's current switched to v2, its row still 'running'")
    expect(os.path.isdir(os.path.join(wh, "results", EN, "v1")), "fault: EN v1 kept")
    it = rows_of(wh, IT + ".tsv")[-1]
    expect(it["status"] == "pending" and "died before it finished" in it["message"] and current(wh, IT) is None,
           "fault: IT (left running by the killed job) recovered to pending, not reached")
    p = ing.run(landing, wh)
    expect(p.returncode == 0, "recovery run: exit 0")
    expect(f"{EN}.tsv.gz: processing as v2 (the ingest that ran it" in p.stdout and
           f"{IT}.tsv: processing as v1 (the ingest that ran it" in p.stdout,
           "recovery run: EN v2 redone in place, IT redone")
    expect(current(wh, EN) == "v2" and current(wh, IT) == "v1", "recovery run: current -> EN v2, IT v1")
    expect(all(r["status"] == "done" for r in manifest(wh)), "recovery run: every version done")
    leftovers = [os.path.join(r, f) for r, _, fs in os.walk(wh) for f in fs if ".staged-" in f or ".tmp-" in f]
    expect(not leftovers, f"no staged or temporary files left: {leftovers}")
    check_cumulative(wh, "after the recoveries")

    # --- the same landing directory ingested once, cleanly, into a fresh warehouse --------------------
    clean = os.path.join(a.work, "warehouse-clean")
    p = ing.run(landing, clean)
    expect(p.returncode == 0, "clean ingest: exit 0")
    got, want = contents(wh), contents(clean)
    expect(sorted(got) == sorted(want) == sorted([EN, DE, FR, JA, IT, "cumulative"]), f"same stems: {sorted(got)}")
    for k in sorted(want):
        expect(got.get(k) == want[k], f"{k}: the killed-and-recovered warehouse equals a clean ingest")

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
