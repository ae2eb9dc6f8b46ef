"""End-to-end check: run dumpmill under mpirun on real or generated inputs and compare every
figure (report.json, SQLite tables, HDF5 tables, rejects.tsv) with clickstream_reference.py.

usage: run_clickstream.py --dumpmill BIN --job JOB --ranks N --work DIR
                          (--input F [--input F ...] | --gen BIN --rows N [--seed S])
                          [--codec as-is|plain|gzip|gzip-multi|zstd] [--max-line BYTES]
                          [-- extra dumpmill flags]
Exit code 77 (ctest's skip) when an --input does not exist (e.g. ../shared/data absent)."""

import argparse
import collections
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "h5"))  # load_table.py: the loader docs/hdf5-layout.md shows
import clickstream_reference as ref  # noqa: E402

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_mpi_yield_when_idle": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}
FAILURES = []


def check(what, got, want):
    if got != want:
        FAILURES.append(f"{what}: dumpmill {got!r} != reference {want!r}")


def prepare_inputs(args):
    """Generates and/or recompresses the inputs into the work dir; returns their paths."""
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(os.path.join(args.work, "in"))
    sources = list(args.input or [])
    if args.gen:
        src = os.path.join(args.work, "in", "generated.tsv")
        subprocess.run([args.gen, "--rows", str(args.rows), "--seed", str(args.seed), "--out", src,
                        "--dup-rate", "0.02", "--bad-rate", "0.01", "--quoted-rate", "0.01"], check=True)
        sources.append(src)
    if args.codec == "as-is":
        return sources
    out = []
    for i, src in enumerate(sources):
        data = ref.read_decoded(src)
        dst = os.path.join(args.work, "in", f"input{i}.tsv")
        if args.codec == "plain":
            open(dst, "wb").write(data)
        elif args.codec == "gzip":
            dst += ".gz"
            with open(dst, "wb") as f:
                subprocess.run(["gzip", "-6", "-n", "-c"], input=data, stdout=f, check=True)
        elif args.codec == "gzip-multi":  # three members, cut mid-line on purpose
            dst += ".gz"
            with open(dst, "wb") as f:
                cuts = [0, len(data) // 3 + 7, 2 * len(data) // 3 + 3, len(data)]
                for a, b in zip(cuts, cuts[1:]):
                    subprocess.run(["gzip", "-1", "-n", "-c"], input=data[a:b], stdout=f, check=True)
        elif args.codec == "zstd":
            dst += ".zst"
            subprocess.run(["zstd", "-q", "-3", "-o", dst], input=data, check=True)
        elif args.codec in ("zstd-multi", "zstd-multi-nosize"):  # five frames, cut mid-line
            dst += ".zst"
            piece = os.path.join(args.work, "in", "piece.tsv")
            flags = ["--no-content-size"] if args.codec.endswith("nosize") else []
            with open(dst, "wb") as f:
                cuts = [0] + [k * len(data) // 5 + k for k in range(1, 5)] + [len(data)]
                for a, b in zip(cuts, cuts[1:]):
                    open(piece, "wb").write(data[a:b])  # a file: zstd declares its size
                    subprocess.run(["zstd", "-q", "-3", "-c", *flags, piece], stdout=f, check=True)
            os.remove(piece)
        out.append(dst)
    return out


def run_dumpmill(args, extra):
    out = os.path.join(args.work, "out")
    cmd = ["mpirun", "-n", str(args.ranks), "--oversubscribe", args.dumpmill, "run", args.job,
           "--output", out, "--progress", "never"]
    for i in args.input:
        cmd += ["--input", i]
    cmd += extra
    env = dict(os.environ, **MPI_ENV)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    print(" ".join(cmd))
    print(p.stdout)
    if p.returncode != 0:
        print(p.stderr, file=sys.stderr)
        sys.exit(f"dumpmill exited {p.returncode}")
    for pattern in args.expect_log or []:
        if not re.search(pattern, p.stderr):
            print(p.stderr, file=sys.stderr)
            sys.exit(f"FAIL: no log line matches {pattern!r}")
        print(f"ok: log matches {pattern!r}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumpmill", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--ranks", type=int, default=1)
    ap.add_argument("--work", required=True)
    ap.add_argument("--input", action="append")
    ap.add_argument("--gen")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--codec", default="as-is", choices=["as-is", "plain", "gzip", "gzip-multi", "zstd", "zstd-multi",
                             "zstd-multi-nosize"])
    ap.add_argument("--max-line", type=int, default=1 << 20)
    ap.add_argument("--expect-ranges-min", type=int, default=1,
                    help="the plan must cut the (single) input into at least this many ranges")
    ap.add_argument("--expect-log", action="append",
                    help="a regular expression dumpmill's stderr must match (repeatable)")
    args, extra = ap.parse_known_args()
    extra = [e for e in extra if e != "--"]
    for i in args.input or []:
        if not os.path.exists(i):
            print(f"skipped: {i} does not exist")
            sys.exit(77)
    args.input = prepare_inputs(args)
    out = run_dumpmill(args, extra)
    want = ref.Reference(args.input, max_line=args.max_line)

    rep = json.load(open(os.path.join(out, "report.json")))
    check("records_read", rep["records_read"], want.records_read)
    check("valid", rep["valid"], want.valid)
    check("rejected", rep["rejected"], sum(want.rejected.values()))
    got_reasons = {k: v for k, v in rep["rejected_by_reason"].items() if v}
    check("rejected_by_reason", got_reasons, dict(want.rejected))
    check("duplicates_dropped", rep["duplicates_dropped"], want.duplicates)
    check("rows_kept", rep["rows_kept"], want.rows_kept)
    check("distinct_pairs", rep["distinct_pairs"], len(want.pairs))
    check("distinct_articles", rep["distinct_articles"], len(want.articles))
    check("sum_n", rep["sum_n"], want.sum_n)
    check("accounting_holds", rep["accounting_holds"], True)
    check("ranks", rep["ranks"], args.ranks)
    check(f"input cut into >= {args.expect_ranges_min} ranges",
          min(f["ranges"] for f in rep["files"]) >= args.expect_ranges_min, True)
    check("header lines", sum(f["header_lines"] for f in rep["files"]), want.headers)
    decoded = sum(len(ref.read_decoded(p)) for p in args.input)
    check("bytes_decoded", rep["bytes_decoded"], decoded)

    # SQLite: every row of every table.
    db = sqlite3.connect(os.path.join(out, "clickstream.sqlite"))
    db.text_factory = bytes
    got_pairs = {(p, c, ref.TYPES.index(t.decode())): n for p, c, t, n in
                 db.execute("SELECT prev, curr, type, n FROM pairs")}
    check("sqlite pairs row count", db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0], len(want.pairs))
    if got_pairs != want.pairs:
        missing = set(want.pairs) - set(got_pairs)
        extra_rows = set(got_pairs) - set(want.pairs)
        wrong = [k for k in set(got_pairs) & set(want.pairs) if got_pairs[k] != want.pairs[k]]
        FAILURES.append(f"sqlite pairs differ: {len(missing)} missing e.g. {list(missing)[:3]}, "
                        f"{len(extra_rows)} extra e.g. {list(extra_rows)[:3]}, {len(wrong)} wrong n")
    got_articles = {t: (a, b, c) for t, a, b, c in
                    db.execute("SELECT title, n_in, n_out, n_referrers FROM articles")}
    if got_articles != want.articles:
        diff = [k for k in set(got_articles) | set(want.articles) if got_articles.get(k) != want.articles.get(k)]
        FAILURES.append(f"sqlite articles differ in {len(diff)} titles, e.g. "
                        + ", ".join(f"{k!r}: {got_articles.get(k)} vs {want.articles.get(k)}" for k in diff[:3]))
    top = [r[0] for r in db.execute("SELECT title FROM articles ORDER BY n_in DESC, title LIMIT 20")]
    want_top = [t for t, _ in sorted(want.articles.items(), key=lambda kv: (-kv[1][0], kv[0]))[:20]]
    check("top-20 articles by n_in", top, want_top)
    got_types = {ref.TYPES.index(t.decode()): [p, n] for t, p, n in db.execute("SELECT type, pairs, n FROM types")}
    check("types", got_types, want.types)
    runs = db.execute("SELECT records_read, valid, rejected, duplicates_dropped, sum_n FROM runs").fetchall()
    check("runs row", runs[-1] if runs else None,
          (want.records_read, want.valid, sum(want.rejected.values()), want.duplicates, want.sum_n))

    # HDF5, through the loader the docs show analysts.
    import load_table  # tests/h5/load_table.py, identical to the snippet in docs/hdf5-layout.md
    h5 = os.path.join(out, "clickstream.h5")
    pairs_df = load_table.load_table(h5, "pairs")
    check("hdf5 pairs rows", len(pairs_df), len(want.pairs))
    h5_pairs = {(p.encode(), c.encode(), ref.TYPES.index(t)): int(n)
                for p, c, t, n in zip(pairs_df["prev"], pairs_df["curr"], pairs_df["type"], pairs_df["n"])}
    check("hdf5 pairs equal reference", h5_pairs == want.pairs, True)
    art = load_table.load_table(h5, "articles")
    h5_articles = {t.encode(): (int(a), int(b), int(c)) for t, a, b, c in
                   zip(art["title"], art["n_in"], art["n_out"], art["n_referrers"])}
    check("hdf5 articles equal reference", h5_articles == want.articles, True)

    # Rejects file: one line per rejected row, with its file, offset and reason.
    with open(os.path.join(out, "rejects.tsv"), "rb") as f:
        lines = f.read().split(b"\n")
    check("rejects header", lines[0], b"file\tbyte_offset\treason\tline")
    got_rejects = sorted((l.split(b"\t")[0].decode(), int(l.split(b"\t")[1]), l.split(b"\t")[2].decode())
                         for l in lines[1:] if l)
    check("rejects rows", got_rejects, sorted(want.reject_lines))

    if FAILURES:
        print("\n".join("FAIL " + f for f in FAILURES), file=sys.stderr)
        sys.exit(1)
    print(f"ok: {want.records_read} records, {want.valid} valid, {sum(want.rejected.values())} rejected, "
          f"{want.duplicates} duplicates, {len(want.pairs)} pairs, sum n {want.sum_n}, {args.ranks} ranks")


if __name__ == "__main__":
    main()
