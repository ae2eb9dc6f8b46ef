#!/usr/bin/env bash
# The daily scheduled run (see dumpmill.scrontab): `dumpmill ingest` of a landing directory into a
# warehouse. Usage (inside a Slurm allocation, as scrontab runs it):
#   dumpmill-daily.sh JOB.ini LANDING_DIR WAREHOUSE_DIR [dumpmill run flags]
#
# Only dumps that are new or changed since the last run are processed (the manifest in
# WAREHOUSE_DIR/manifest.sqlite); each gets WAREHOUSE_DIR/results/<dump>/v<N>/ and the
# `current` link, and WAREHOUSE_DIR/cumulative.sqlite is rebuilt when a result changed. A day
# with nothing new prints "nothing new" and exits 0; a run that finds the previous one still
# going (its lock held) prints "another ingest is running (pid N)" and exits 0.
#
# Binary: $DUMPMILL if set, else build/dumpmill of the checkout this script is in (or of the
# submit directory when Slurm runs a spooled copy). It runs slurm/dumpmill.sbatch of that checkout
# with DUMPMILL_COMMAND=ingest, so the launch line and the memory budget per rank (from what Slurm
# grants a task, see there) are the batch template's.
# Exit code: dumpmill's (see `dumpmill ingest --help`).
set -euo pipefail

log() { echo "[dumpmill-daily $(date -u +%FT%TZ)] $*"; }
if [ $# -lt 3 ]; then
  echo "usage: $0 JOB.ini LANDING_DIR WAREHOUSE_DIR [dumpmill run flags]" >&2
  exit 2
fi
job="$1" landing="$2" warehouse="$3"
shift 3

[ -d "$landing" ] || { log "landing directory $landing does not exist"; exit 1; }

here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/dumpmill.sbatch" ]; then
  checkout="$(dirname "$here")"
else
  checkout="${SLURM_SUBMIT_DIR:-$PWD}"
fi
dumpmill="${DUMPMILL:-$checkout/build/dumpmill}"
if [ ! -x "$dumpmill" ]; then
  log "no dumpmill binary at '$dumpmill': set DUMPMILL=/path/to/dumpmill or build $checkout/build/dumpmill"
  exit 2
fi
sbatch_script="$checkout/slurm/dumpmill.sbatch"
[ -f "$sbatch_script" ] || { log "no $sbatch_script beside the binary's checkout"; exit 2; }
log "ingest of $landing into $warehouse through $sbatch_script"
rc=0
DUMPMILL="$dumpmill" DUMPMILL_COMMAND=ingest SLURM_SUBMIT_DIR="${SLURM_SUBMIT_DIR:-$PWD}" \
  bash "$sbatch_script" "$job" --landing "$landing" --warehouse "$warehouse" "$@" || rc=$?
exit "$rc"
