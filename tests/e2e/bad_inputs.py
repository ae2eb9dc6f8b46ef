"""Bad inputs end to end: each case ends with one clear message (file, and byte offset where it
applies), the documented exit code, and no partial result published; previous results stay
byte-identical. usage: bad_inputs.py --dumpmill BIN --job JOB --work DIR --ranks N"""

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_mpi_yield_when_idle": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}
FAILURES = []
LINES = b"".join(b"Title_%d\tTarget_%d\tlink\t%d\n" % (i, i % 97, 10 + i) for i in range(20000))


def expect(cond, what):
    if not cond:
        FAILURES.append(what)
    print(("ok   " if cond else "FAIL ") + what)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.exists(path) else None


class Case:
    def __init__(self, args, name):
        self.args = args
        self.dir = os.path.join(args.work, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.out = os.path.join(self.dir, "out")

    def file(self, name, data):
        p = os.path.join(self.dir, name)
        open(p, "wb").write(data)
        return p

    def run(self, inputs, *flags, job=None):
        cmd = ["mpirun", "-n", str(self.args.ranks), "--oversubscribe", self.args.dumpmill, "run",
               job or self.args.job, "--output", self.out, "--progress", "never"]
        for i in inputs:
            cmd += ["--input", i]
        cmd += list(flags)
        p = subprocess.run(cmd, env=dict(os.environ, **MPI_ENV), capture_output=True, text=True, timeout=300)
        self.code, self.stdout, self.stderr = p.returncode, p.stdout, p.stderr
        self.errors = [l for l in p.stderr.splitlines() if l.startswith("dumpmill: error:")]
        return self

    def report(self):
        return json.load(open(os.path.join(self.out, "report.json")))


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def check_failure(case, code, must_contain, label):
    expect(case.code == code, f"{label}: exit code {case.code} == {code}")
    expect(len(case.errors) >= 1, f"{label}: an error line on stderr")
    if case.errors:
        msg = case.errors[0]
        for s in must_contain:
            expect(s in msg, f"{label}: message names {s!r}: {msg}")
    expect(not os.path.exists(os.path.join(case.out, "clickstream.h5")), f"{label}: no HDF5 result published")
    expect(not os.path.exists(os.path.join(case.out, "clickstream.sqlite")), f"{label}: no SQLite result published")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumpmill", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)

    # Truncated gzip, read whole by one rank and split across ranks (index build on rank 0).
    for split in ([], ["--gzip-split-min", "0", "--checkpoint-spacing", "16KiB"]):
        label = "truncated gzip" + (" (split)" if split else "")
        c = Case(args, "truncated" + ("-split" if split else ""))
        data = gz(LINES)
        p = c.file("cut.tsv.gz", data[: len(data) // 2])
        c.run([p], *split)
        check_failure(c, 1, [p, "at byte"], label)

    # A flipped byte inside the deflate data: CRC or stream error, never a wrong answer.
    c = Case(args, "flipped")
    data = bytearray(gz(LINES))
    data[len(data) // 2] ^= 0x5A
    p = c.file("flipped.tsv.gz", bytes(data))
    c.run([p])
    check_failure(c, 1, [p], "flipped byte")

    # A previous good result survives a failed run byte for byte (atomic publish).
    c = Case(args, "atomic")
    good = c.file("good.tsv", LINES[:5000])
    c.run([good])
    expect(c.code == 0, f"atomic: first run succeeds ({c.stderr.strip()[-200:]})")
    before = {n: digest(os.path.join(c.out, n)) for n in ("clickstream.h5", "clickstream.sqlite", "report.json")}
    bad = c.file("bad.tsv.gz", gz(LINES)[:3000])
    c.run([good, bad])
    expect(c.code == 1, f"atomic: failing run exits 1 (got {c.code})")
    after = {n: digest(os.path.join(c.out, n)) for n in before}
    expect(before == after and None not in before.values(), "atomic: previous results unchanged")

    # An empty file and a header-only file are valid inputs with no records.
    c = Case(args, "empty")
    e = c.file("empty.tsv", b"")
    h = c.file("header.tsv", b"prev\tcurr\ttype\tn\n")
    c.run([e, h])
    expect(c.code == 0, f"empty + header-only: exit 0 ({c.stderr.strip()[-300:]})")
    if c.code == 0:
        r = c.report()
        expect(r["records_read"] == 0 and r["valid"] == 0, "empty + header-only: no records")
        expect(sum(f["header_lines"] for f in r["files"]) == 1, "header-only: one header line counted")

    # A line longer than max_line is rejected as line_too_long; a line longer than the range size
    # is read whole by the range it starts in.
    c = Case(args, "long-line")
    big = b"A" * (2 << 20)
    p = c.file("long.tsv", b"X\tY\tlink\t10\n" + big + b"\tB\tlink\t11\nZ\tW\tother\t12\n" + b"Q" * 300 + b"\tR\tlink\t13\n")
    c.run([p], "--range-size", "64")
    expect(c.code == 0, f"long line: exit 0 ({c.stderr.strip()[-300:]})")
    if c.code == 0:
        r = c.report()
        expect(r["rejected_by_reason"]["line_too_long"] == 1, "long line: one line_too_long reject")
        expect(r["valid"] == 3, f"long line: 3 valid rows (got {r['valid']})")

    # Missing input, bad job key, bad value, bad flag: exit 1 / 2 naming what is wrong.
    c = Case(args, "missing")
    c.run([os.path.join(c.dir, "nope.tsv.gz")])
    check_failure(c, 1, ["nope.tsv.gz"], "missing input")

    c = Case(args, "badjob")
    job = c.file("job.ini", open(args.job, "rb").read().replace(b"[run]", b"[run]\nrange_sise = 4MiB"))
    c.run([], job=job)
    check_failure(c, 2, [job, "range_sise"], "unknown job key")
    job = c.file("job2.ini", open(args.job, "rb").read().replace(b"rule = exact", b"rule = fuzzy"))
    c.run([], job=job)
    check_failure(c, 2, [job, "dedup.rule", "fuzzy"], "bad job value")
    c.run([], "--memory-per-rank", "lots")
    check_failure(c, 2, ["run.memory_per_rank", "lots"], "bad size flag")

    # An output directory that cannot be created.
    c = Case(args, "badout")
    blocker = c.file("blocker", b"")
    c.out = os.path.join(blocker, "out")
    c.run([c.file("ok.tsv", LINES[:100])])
    expect(c.code != 0 and c.errors and "blocker" in c.errors[0], f"unwritable output: clear error ({c.errors})")

    # A full disk: a small tmpfs holds a first, small result; a bigger run then fails with exit 3
    # naming the file, and the small result stays byte-identical (outputs are renamed into place
    # together, only once all are complete). Needs mount rights (root); skipped otherwise.
    c = Case(args, "full-disk")
    os.makedirs(c.out)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", c.out],
                      capture_output=True).returncode != 0:
        print("skip full disk: cannot mount a tmpfs here")
    else:
        try:
            c.run([c.file("small.tsv", LINES[:300])])
            expect(c.code == 0, f"full disk: the small run fits ({c.errors})")
            before = {n: digest(os.path.join(c.out, n)) for n in ("clickstream.h5", "clickstream.sqlite", "rejects.tsv", "report.json")}
            c.run([c.file("big.tsv", LINES)])
            expect(c.code == 3, f"full disk: exit 3 (got {c.code})")
            expect(any(c.out in l for l in c.errors), f"full disk: message names the file ({c.errors})")
            after = {n: digest(os.path.join(c.out, n)) for n in before}
            expect(before == after and None not in before.values(), "full disk: previous results unchanged")
            left = [n for n in os.listdir(c.out) if ".staged-" in n]
            expect(not left, f"full disk: no staged files left behind ({left})")
        finally:
            subprocess.run(["umount", c.out], check=False)

    # The memory budget is enforced with a clear message, never an OOM kill.
    c = Case(args, "budget")
    c.run([c.file("many.tsv", LINES)], "--memory-per-rank", "64KiB")
    expect(c.code == 5 and any("memory budget" in l for l in c.errors), f"memory budget: exit 5 with message ({c.code}, {c.errors})")

    if FAILURES:
        sys.exit(f"{len(FAILURES)} failure(s)")
    print("all bad-input cases behave")


if __name__ == "__main__":
    main()
