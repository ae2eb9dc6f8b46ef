#!/usr/bin/env bash
# Installs dumpmill's build and test dependencies from Debian 12 packages. Idempotent: a no-op
# (no apt-get call at all) when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libboost-iostreams-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libisal-dev isal libdeflate-dev zlib1g-dev libzstd-dev zstd libxxhash-dev
  libsqlite3-dev sqlite3 python3 python3-h5py python3-numpy python3-pandas pigz gzip gawk time
  slurmctld slurmd slurm-client munge dpkg-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[install-deps] all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "[install-deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q && \
     $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"; then
    exit 0
  fi
  echo "[install-deps] apt-get failed (attempt $attempt), retrying in 10 s" >&2
  sleep 10
done
echo "[install-deps] could not install: ${missing[*]}" >&2
exit 1
