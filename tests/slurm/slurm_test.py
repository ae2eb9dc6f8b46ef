#!/usr/bin/python3
"""Slurm tests for dumpmill: one ctest per subcommand, on the one-node cluster of slurm/local-cluster.

  start | stop                 the ctest fixture: start the cluster, stop it (always, by PID)
  sbatch-sample                sbatch --wait the template on the bundled sample at 2 tasks
  sbatch-missing-input         a job whose input is missing fails, and sbatch --wait says so
  sbatch-array                 slurm/dumpmill-array.sbatch as a 2-task array over 2 dumps: one result per
                               dump, task K on line K of the list; a task id past the list fails alone
  daily-empty-landing          the daily wrapper (dumpmill ingest) on an empty landing directory:
                               "nothing new", exit 0
  scrontab                     slurm/dumpmill.scrontab with a one-minute schedule runs for real: the
                               first run ingests the dropped dump, the next one says "nothing new"

Exit 0 pass, 1 fail, 77 skip (with the reason on stderr).
"""
import argparse
import gzip
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

SAMPLE = "data/samples/clickstream-enwiki-2024-11-head1039.tsv.gz"
SAMPLE_RECORDS = 1039
SKIP = 77
# What a cron job needs from this test's environment (it starts from the login environment).
PASSED_TO_CRON = {"DUMPMILL", "SLURM_CONF", "OMPI_MCA_mpi_yield_when_idle", "ASAN_OPTIONS", "UBSAN_OPTIONS"}


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def run(cmd, **kw):
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kw)


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def submit_wait(args, cwd, env):
    """sbatch --wait ARGS from CWD; returns (exit code, job id, the job's log text)."""
    p = run(["sbatch", "--wait"] + args, cwd=cwd, env=env)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    m = re.search(r"Submitted batch job (\d+)", p.stdout)
    check(m is not None, "sbatch printed no job id")
    job = m.group(1)
    # The template's #SBATCH --output=dumpmill-%j.out, relative to the submit directory.
    log_path = os.path.join(cwd, f"dumpmill-{job}.out")
    check(os.path.exists(log_path), f"no job log {log_path} (from #SBATCH --output=dumpmill-%j.out)")
    text = read(log_path)
    print(f"--- {log_path}\n{text}---", flush=True)
    return p.returncode, job, text


def job_field(job, field):
    """A field of `scontrol show job`, once the job has left COMPLETING (sbatch --wait returns
    when the batch shell ends, slightly before the job's final state is recorded)."""
    for _ in range(100):
        out = run(["scontrol", "show", "job", job]).stdout
        if "JobState=COMPLETING" not in out:
            break
        time.sleep(0.1)
    m = re.search(rf"\b{field}=(\S+)", out)
    return m.group(1) if m else None


def memory_line(log):
    m = re.search(r"memory per rank: (\S+)", log)
    check(m is not None, "the job log has no 'memory per rank' line")
    return m.group(1)


def check_report(report_path, ranks, records=SAMPLE_RECORDS):
    check(os.path.exists(report_path), f"no {report_path}")
    with open(report_path, encoding="utf-8") as f:
        rep = json.load(f)
    check(rep["records_read"] == records, f"records_read {rep['records_read']} != {records}")
    check(rep["valid"] == records, f"valid {rep['valid']} != {records}")
    check(rep["rejected"] == 0, f"rejected {rep['rejected']} != 0")
    check(rep["ranks"] == ranks, f"ranks {rep['ranks']} != {ranks}: srun did not start {ranks} MPI ranks")
    check(rep["accounting_holds"] is True, "accounting does not hold")
    out_dir = os.path.dirname(report_path)
    for name in ("clickstream.h5", "clickstream.sqlite", "rejects.tsv"):
        check(os.path.exists(os.path.join(out_dir, name)), f"no {name} beside the report")


# --- the fixture ---------------------------------------------------------------------------

def cmd_start(a):
    p = run([os.path.join(a.repo, "slurm/local-cluster/start.sh"), a.cluster])
    sys.stderr.write(p.stderr)
    check(p.returncode == 0, f"start.sh exited {p.returncode}")
    conf = os.path.join(a.cluster, "slurm.conf")
    check(p.stdout.strip() == f"export SLURM_CONF={conf}", f"start.sh printed {p.stdout!r}")
    state = run(["sinfo", "-h", "-N", "-o", "%t"], env=dict(os.environ, SLURM_CONF=conf)).stdout.strip()
    check(state == "idle", f"node state {state!r}, not idle")
    # Starting again is harmless: it finds the daemons alive and prints the same line.
    again = run([os.path.join(a.repo, "slurm/local-cluster/start.sh"), a.cluster])
    check(again.returncode == 0 and again.stdout == p.stdout, "a second start.sh did not find the cluster")


def daemon_pids(cluster):
    pids = {}
    for name in ("slurmctld", "slurmd", "munged"):
        try:
            pids[name] = int(read(os.path.join(cluster, "run", f"{name}.pid")).strip())
        except (OSError, ValueError):
            pass
    return pids


def cmd_stop(a):
    pids = daemon_pids(a.cluster)
    logs = os.path.join(a.work, "cluster-logs")
    if os.path.isdir(os.path.join(a.cluster, "log")):
        shutil.rmtree(logs, ignore_errors=True)
        shutil.copytree(os.path.join(a.cluster, "log"), logs)
        print(f"cluster logs kept in {logs}")
    p = run([os.path.join(a.repo, "slurm/local-cluster/stop.sh"), a.cluster, "--purge"])
    sys.stderr.write(p.stderr)
    check(p.returncode == 0, f"stop.sh exited {p.returncode}")
    left = [f"{n} (pid {pid})" for n, pid in pids.items() if os.path.exists(f"/proc/{pid}")]
    check(not left, "daemons still running after stop.sh: " + ", ".join(left))
    check(not os.path.exists(a.cluster), f"{a.cluster} not removed by --purge")
    # Stopping a stopped cluster succeeds (idempotent).
    again = run([os.path.join(a.repo, "slurm/local-cluster/stop.sh"), a.cluster])
    check(again.returncode == 0, "a second stop.sh failed")


# --- sbatch -------------------------------------------------------------------------------

def job_env(a):
    return dict(os.environ, DUMPMILL=a.dumpmill)


def cmd_sbatch_sample(a):
    work = fresh_dir(os.path.join(a.work, "sbatch-sample"))
    out = os.path.join(work, "out")
    rc, job, log = submit_wait(
        ["-n", "2", os.path.join(a.repo, "slurm/dumpmill.sbatch"), os.path.join(a.repo, "jobs/clickstream.ini"),
         "--input", os.path.join(a.repo, SAMPLE), "--output", out, "--progress", "never"], work, job_env(a))
    check(rc == 0, f"sbatch --wait exited {rc}")
    check(job_field(job, "ExitCode") in ("0:0", None), f"job exit code {job_field(job, 'ExitCode')}")
    check(f"job {job} 'dumpmill' on 1 node(s)" in log, "the log does not name the job and its node")
    check(f"dumpmill: {a.dumpmill} (dumpmill " in log, "the log does not name the binary and its version")
    check("srun --mpi=pmix --kill-on-bad-exit=1" in log, "the log does not show the srun line")
    check("dumpmill exited with code 0" in log, "the log does not end with dumpmill's exit code 0")
    check(re.search(rf"records read\s+{SAMPLE_RECORDS}\b", log) is not None, "dumpmill's summary is not in the log")
    # No --mem given: the cluster's DefMemPerCPU applies, so SLURM_MEM_PER_CPU decides (x 3/4).
    m = re.search(r"SLURM_MEM_PER_CPU=(\d+) SLURM_MEM_PER_NODE=unset", log)
    check(m is not None, "SLURM_MEM_PER_CPU is not logged")
    check(memory_line(log) == f"{int(m.group(1)) * 3 // 4}MiB", f"memory per rank {memory_line(log)} "
          f"is not 3/4 of SLURM_MEM_PER_CPU={m.group(1)}")
    check_report(os.path.join(out, "report.json"), ranks=2)


def cmd_sbatch_missing_input(a):
    work = fresh_dir(os.path.join(a.work, "sbatch-missing-input"))
    out = os.path.join(work, "out")
    missing = os.path.join(work, "no-such-dump.tsv.gz")
    # --mem=1000 per node over 2 tasks: 500 MiB a task, 375 MiB after the quarter of headroom.
    rc, job, log = submit_wait(
        ["-n", "2", "--mem=1000", os.path.join(a.repo, "slurm/dumpmill.sbatch"),
         os.path.join(a.repo, "jobs/clickstream.ini"), "--input", missing, "--output", out], work, job_env(a))
    check(rc != 0, "sbatch --wait exited 0 for a job whose input is missing")
    check(job_field(job, "JobState") == "FAILED", f"job state {job_field(job, 'JobState')}, not FAILED")
    check(job_field(job, "ExitCode") == "1:0", f"job exit code {job_field(job, 'ExitCode')}, not dumpmill's 1")
    check("dumpmill exited with code 1" in log, "the log does not carry dumpmill's exit code 1")
    check(missing in log, "dumpmill's error naming the missing file is not in the log")
    check(memory_line(log) == "375MiB", f"memory per rank {memory_line(log)}, expected 375MiB from --mem=1000")
    check(not os.path.exists(os.path.join(out, "report.json")), "a failed run left a report")


def cmd_sbatch_array(a):
    work = fresh_dir(os.path.join(a.work, "sbatch-array"))
    dumps = fresh_dir(os.path.join(work, "dumps"))
    # Two dumps told apart by their size: the sample, and its first HEAD lines under another name.
    head = 400
    shutil.copy(os.path.join(a.repo, SAMPLE), os.path.join(dumps, "clickstream-enwiki-2024-11.tsv.gz"))
    with gzip.open(os.path.join(a.repo, SAMPLE), "rb") as src, \
            gzip.open(os.path.join(dumps, "clickstream-dewiki-2024-10.tsv.gz"), "wb") as dst:
        dst.writelines(src.readlines()[:head])
    # Relative entries (to the submit directory), with a comment and a blank line the script skips.
    with open(os.path.join(work, "inputs.txt"), "w", encoding="utf-8") as f:
        f.write("# wiki x month\ndumps/clickstream-enwiki-2024-11.tsv.gz\n\ndumps/clickstream-dewiki-2024-10.tsv.gz\n")
    array_script = os.path.join(a.repo, "slurm/dumpmill-array.sbatch")
    job_ini = os.path.join(a.repo, "jobs/clickstream.ini")
    p = run(["sbatch", "--wait", "--parsable", "--array=0-1", "-n", "1", array_script, "inputs.txt", "results",
             job_ini, "--progress", "never"], cwd=work, env=job_env(a))
    sys.stdout.write(p.stdout + p.stderr)
    check(p.returncode == 0, f"sbatch --wait of the array exited {p.returncode}")
    array_job = p.stdout.strip().split(";")[0]
    template = os.path.join(a.repo, "slurm/dumpmill.sbatch")
    for task, (stem, records) in enumerate([("clickstream-enwiki-2024-11", SAMPLE_RECORDS),
                                            ("clickstream-dewiki-2024-10", head)]):
        # #SBATCH --output=dumpmill-%A_%a.out: one log per task in the submit directory.
        log_path = os.path.join(work, f"dumpmill-{array_job}_{task}.out")
        check(os.path.exists(log_path), f"no task log {log_path}")
        log = read(log_path)
        print(f"--- {log_path}\n{log}---", flush=True)
        check(f"task {task} of 2: dumps/{stem}.tsv.gz -> results/{stem} (via {template})" in log,
              f"task {task} did not pick line {task} of the list through {template}")
        check("srun --mpi=pmix --kill-on-bad-exit=1" in log, "the task did not launch through dumpmill.sbatch")
        check("dumpmill exited with code 0" in log, f"task {task} did not end with dumpmill's exit code 0")
        check_report(os.path.join(work, "results", stem, "report.json"), ranks=1, records=records)
    check(sorted(os.listdir(os.path.join(work, "results"))) ==
          ["clickstream-dewiki-2024-10", "clickstream-enwiki-2024-11"], "results holds other than one dir per dump")

    # A task past the end of the list fails alone, with exit code 2 and a message saying why.
    p = run(["sbatch", "--wait", "--parsable", "--array=2", "-n", "1", array_script, "inputs.txt", "results",
             job_ini], cwd=work, env=job_env(a))
    sys.stdout.write(p.stdout + p.stderr)
    check(p.returncode != 0, "sbatch --wait exited 0 for a task past the end of the list")
    bad_job = p.stdout.strip().split(";")[0]
    log = read(os.path.join(work, f"dumpmill-{bad_job}_2.out"))
    print(log)
    check("task 2 but 'inputs.txt' names only 2 input(s)" in log, "the task past the list did not say why it failed")
    check(job_field(bad_job, "ExitCode") == "2:0", f"exit code {job_field(bad_job, 'ExitCode')}, not 2")


def cmd_daily_empty_landing(a):
    work = fresh_dir(os.path.join(a.work, "daily-empty"))
    landing = fresh_dir(os.path.join(work, "landing"))
    warehouse = os.path.join(work, "warehouse")
    p = run(["sbatch", "--wait", "-n", "1", f"--output={work}/daily-%j.out",
             os.path.join(a.repo, "slurm/dumpmill-daily.sh"), os.path.join(a.repo, "jobs/clickstream.ini"),
             landing, warehouse], cwd=a.repo, env=job_env(a))
    sys.stdout.write(p.stdout + p.stderr)
    check(p.returncode == 0, f"the daily wrapper on an empty landing directory exited {p.returncode}")
    logs = [f for f in os.listdir(work) if f.startswith("daily-")]
    check(len(logs) == 1, f"expected one job log, found {logs}")
    log = read(os.path.join(work, logs[0]))
    print(log)
    check(re.search(r"^nothing new$", log, re.M) is not None, "dumpmill ingest did not say 'nothing new'")
    check("dumpmill exited with code 0" in log, "the wrapper did not log dumpmill's exit code 0")
    check(os.listdir(os.path.join(warehouse, "results")) == [], "an empty landing directory produced a result")


# --- scrontab -----------------------------------------------------------------------------

def cmd_scrontab(a):
    t0 = time.monotonic()
    # Built once per machine into the user's cache (~25 s), shared by every build tree.
    p = run([os.path.join(a.repo, "scripts/build-scrontab.sh")])
    sys.stderr.write(p.stderr)
    if p.returncode == 3:
        print("SKIP scrontab part: the scrontab client cannot be built here (Debian does not ship it): "
              + p.stderr.strip().splitlines()[-1], file=sys.stderr)
        return SKIP
    check(p.returncode == 0, f"scripts/build-scrontab.sh exited {p.returncode}")
    scrontab = p.stdout.strip().splitlines()[-1]
    print(f"scrontab ready in {time.monotonic() - t0:.0f} s: {scrontab}")

    work = fresh_dir(os.path.join(a.work, "scrontab"))
    for d in ("landing", "logs"):
        os.makedirs(os.path.join(work, d))
    shutil.copy(os.path.join(a.repo, SAMPLE), os.path.join(work, "landing"))

    # The shipped entry, with the site paths pointed at this test's tree, every minute, 2 tasks.
    text = read(os.path.join(a.repo, "slurm/dumpmill.scrontab"))
    check(re.search(r"^0 4 \* \* \* ", text, re.M) is not None, "the shipped entry is not daily at 04:00")
    check("#SCRON --open-mode=append" in text, "the shipped entry does not append to its log")
    entry = (text.replace("/srv/dumpmill/dumpmill", a.repo).replace("/srv/dumpmill", work)
             .replace("#SCRON --ntasks=32", "#SCRON --ntasks=2"))
    # Cron jobs start from the user's login environment, not the submitter's: this test's binary,
    # cluster config and sanitizer options go on the command line (a site has build/dumpmill and
    # /etc/slurm).
    env_prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(job_env(a).items()) if k in PASSED_TO_CRON)
    entry = re.sub(r"^0 4 \* \* \* ", lambda _: f"* * * * * {env_prefix} ", entry, flags=re.M)
    tab = os.path.join(work, "test.scrontab")
    with open(tab, "w", encoding="utf-8") as f:
        f.write(entry)

    env = job_env(a)
    p = run([scrontab, tab], env=env)
    check(p.returncode == 0, f"scrontab {tab} failed: {p.stderr}")
    try:
        listed = run([scrontab, "-l"], env=env).stdout
        check("dumpmill-daily.sh" in listed, "scrontab -l does not list the entry")
        q = run(["squeue", "-h", "-o", "%i %j %T", "-n", "dumpmill-daily"]).stdout.split()
        check(len(q) == 3 and q[2] == "PENDING", f"the cron job is not pending in squeue: {q}")
        cron_job = q[0]

        log_path = os.path.join(work, "logs", "dumpmill-daily.log")

        def wait_for_run(n):
            """The log once the n-th cron run has ended (each run ends with dumpmill's exit code)."""
            deadline = time.monotonic() + 150  # next whole minute + Slurm's scheduling pass + the run
            log = ""
            while time.monotonic() < deadline:
                log = read(log_path) if os.path.exists(log_path) else ""
                if log.count("dumpmill exited with code") >= n or "no dumpmill binary" in log:
                    break
                time.sleep(2)
            print(f"--- {log_path} after run {n}\n{log}---", flush=True)
            check(log.count("dumpmill exited with code 0") >= n, f"cron run {n} did not finish with exit code 0 in time")
            return log.split("dumpmill exited with code")[n - 1]

        # Run 1: the dump dropped in the landing directory is ingested.
        first = wait_for_run(1)
        check(f"job {cron_job} 'dumpmill-daily'" in first, "the log is not from the cron job")
        name = os.path.basename(SAMPLE)
        stem = name.split(".tsv")[0]
        check(re.search(rf"^\[ingest\] {re.escape(name)}: done v1, {SAMPLE_RECORDS} rows read", first, re.M)
              is not None, "cron run 1 did not ingest the new dump")
        warehouse = os.path.join(work, "warehouse")
        check(os.readlink(os.path.join(warehouse, "results", stem, "current")) == "v1", "no current -> v1")
        check_report(os.path.join(warehouse, "results", stem, "current", "report.json"), ranks=2)
        check(os.path.exists(os.path.join(warehouse, "cumulative.sqlite")), "no cumulative.sqlite")
        # Run 2, a minute later: nothing new, nothing rewritten.
        report_mtime = os.stat(os.path.join(warehouse, "results", stem, "current", "report.json")).st_mtime_ns
        second = wait_for_run(2)
        check(re.search(r"^nothing new$", second, re.M) is not None, "cron run 2 did not report 'nothing new'")
        check(os.stat(os.path.join(warehouse, "results", stem, "current", "report.json")).st_mtime_ns
              == report_mtime, "cron run 2 rewrote the result")
        # Slurm re-queues the same job for its next minute: the entry is periodic, not one-shot.
        for _ in range(50):
            q = run(["squeue", "-h", "-j", cron_job, "-o", "%T"]).stdout.strip()
            if q == "PENDING":
                break
            time.sleep(0.2)
        check(q == "PENDING", f"cron job {cron_job} is '{q}' after its run, not pending again")
    finally:
        run([scrontab, "-r"], env=env)
    q = run(["squeue", "-h", "-n", "dumpmill-daily", "-o", "%i"]).stdout.strip()
    check(q == "", f"scrontab -r left the cron job {q} queued")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "stop", "sbatch-sample", "sbatch-missing-input", "sbatch-array",
                                        "daily-empty-landing", "scrontab"])
    ap.add_argument("--repo", required=True)
    ap.add_argument("--cluster", required=True, help="the local cluster's directory")
    ap.add_argument("--work", required=True, help="this build tree's scratch directory")
    ap.add_argument("--dumpmill", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: the local Slurm cluster needs root (munged runs as 'munge', slurmd starts jobs "
              "as their user); CI runs as root", file=sys.stderr)
        return SKIP
    missing = [t for t in ("slurmctld", "slurmd", "sbatch", "munged") if shutil.which(t) is None
               and not os.path.exists(f"/usr/sbin/{t}")]
    if missing:
        print(f"FAIL: {', '.join(missing)} not installed: run scripts/install-deps.sh "
              "(or skip these tests with `ctest -LE slurm`)", file=sys.stderr)
        return 1
    os.makedirs(a.work, exist_ok=True)
    handler = {"start": cmd_start, "stop": cmd_stop, "sbatch-sample": cmd_sbatch_sample,
               "sbatch-missing-input": cmd_sbatch_missing_input, "sbatch-array": cmd_sbatch_array,
               "daily-empty-landing": cmd_daily_empty_landing, "scrontab": cmd_scrontab}[a.command]
    try:
        rc = handler(a)
    except Failure as e:
        print(f"FAIL {a.command}: {e}", file=sys.stderr)
        return 1
    print(f"PASS {a.command}" if not rc else f"SKIP {a.command}")
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
