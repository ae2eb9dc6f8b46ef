#!/usr/bin/env bash
# Stops the one-node Slurm that start.sh started in DIR, by the PIDs in its pid files, never by
# process name. Usage: stop.sh DIR [--purge]. Idempotent: stopping a stopped (or never started)
# cluster succeeds. --purge also deletes DIR (by default its logs are kept for a look afterwards).
#
# Order: cancel every job of this cluster (it is private to DIR, so "every job" is only ours)
# and wait for their steps to end, so no slurmstepd or rank outlives slurmd; then slurmd,
# slurmctld, munged, each with SIGTERM and, after 10 s, SIGKILL.
set -euo pipefail

say() { echo "[local-cluster] $*" >&2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [--purge]" >&2
  exit 2
fi
purge=0
[ "${2:-}" = "--purge" ] && purge=1
[ -d "$1" ] || { say "nothing to stop: $1 does not exist"; exit 0; }
dir="$(cd "$1" && pwd)"
conf="$dir/slurm.conf"

# Prints the PID in pid file $1 when that process is alive and runs program $2.
live_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  echo "$pid"
}

stop_daemon() {  # name pidfile program
  local pid
  if ! pid="$(live_pid "$2" "$3")"; then
    rm -f "$2"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "$1 (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$2"
  say "stopped $1 (pid $pid)"
}

if [ -f "$conf" ] && live_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null; then
  export SLURM_CONF="$conf"
  # Any user's jobs: the cluster is private to DIR. scancel also disables scrontab entries.
  mapfile -t ids < <(squeue -h -o %i 2>/dev/null || true)
  [ ${#ids[@]} -eq 0 ] || scancel "${ids[@]}" >/dev/null 2>&1 || true
  for _ in $(seq 150); do
    [ -z "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
    sleep 0.1
  done
fi

stop_daemon slurmd "$dir/run/slurmd.pid" slurmd
stop_daemon slurmctld "$dir/run/slurmctld.pid" slurmctld
stop_daemon munged "$dir/run/munged.pid" munged
rm -f "$dir/munge/munged.pid"

if [ "$purge" = 1 ]; then
  rm -rf "$dir"
  say "removed $dir"
fi
