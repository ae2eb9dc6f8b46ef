#!/usr/bin/env bash
# The daily scheduled run (see dumpmill.scrontab): every dump in a landing directory through
# dumpmill.sbatch into a dated result directory. Usage (inside a Slurm allocation, as scrontab
# runs it): dumpmill-daily.sh JOB.ini LANDING_DIR RESULTS_DIR [dumpmill run flags].
#
# Results go to RESULTS_DIR/YYYY-MM-DD (UTC); a second run on the same day replaces that day's
# results (dumpmill writes under a temporary name, then renames). An empty landing directory is
# "nothing to do", exit 0, so a quiet month does not fail the cron job every day.
#
# Not incremental yet: every run reprocesses every dump in LANDING_DIR. `dumpmill ingest`
# (a manifest beside the results, only new or changed dumps, a lock against overlapping runs)
# is pending in issue #5 and will replace the dumpmill run call below.
set -euo pipefail

log() { echo "[dumpmill-daily $(date -u +%FT%TZ)] $*"; }
if [ $# -lt 3 ]; then
  echo "usage: $0 JOB.ini LANDING_DIR RESULTS_DIR [dumpmill run flags]" >&2
  exit 2
fi
job="$1" landing="$2" results="$3"
shift 3

[ -d "$landing" ] || { log "landing directory $landing does not exist"; exit 1; }
dumps="$(find "$landing" -maxdepth 1 -type f ! -name '.*' | wc -l)"
if [ "$dumps" -eq 0 ]; then
  log "nothing to do: no dump in $landing"
  exit 0
fi

# Called by path (the scrontab entry): the checkout is this script's parent. Submitted with
# sbatch, the script runs from a copy in Slurm's spool: submit from the checkout then.
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/dumpmill.sbatch" ]; then
  checkout="$(dirname "$here")"
else
  checkout="${SLURM_SUBMIT_DIR:-$PWD}"
fi
[ -x "$checkout/slurm/dumpmill.sbatch" ] || { log "no slurm/dumpmill.sbatch under $checkout: submit from the dumpmill checkout"; exit 2; }
export DUMPMILL="${DUMPMILL:-$checkout/build/dumpmill}"

out="$results/$(date -u +%F)"
mkdir -p "$results"
log "$dumps dump(s) in $landing -> $out"
exec "$checkout/slurm/dumpmill.sbatch" "$job" --input "$landing" --output "$out" "$@"
