#!/usr/bin/env bash
# Installs dumpmill's build and test dependencies from Debian 12 packages. Idempotent: a no-op
# (no apt-get call at all) when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git clang-format clang-tidy
  clang-14 libclang-rt-14-dev
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libboost-iostreams-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libisal-dev isal libdeflate-dev zlib1g-dev libzstd-dev zstd libxxhash-dev
  libsimdjson-dev libsqlite3-dev sqlite3 libpq-dev postgresql-15 python3 python3-h5py python3-numpy python3-pandas pigz gzip gawk time
  dpkg-dev
)
# Slurm for the scheduling tests, without recommends as TOOLCHAIN.md tested it (recommends pull in
# ~27 plugin packages the one-node test cluster does not use).
SLURM_PACKAGES=(slurmctld slurmd slurm-client munge)

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${PACKAGES[@]}")
mapfile -t missing_slurm < <(missing_of "${SLURM_PACKAGES[@]}")
if [ ${#missing[@]} -eq 0 ] && [ ${#missing_slurm[@]} -eq 0 ]; then
  echo "[install-deps] all $(( ${#PACKAGES[@]} + ${#SLURM_PACKAGES[@]} )) packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt() { $SUDO apt-get -o DPkg::Lock::Timeout=300 "$@"; }
for attempt in 1 2 3; do
  echo "[install-deps] installing: ${missing[*]} ${missing_slurm[*]}"
  if apt update -q &&
     { [ ${#missing[@]} -eq 0 ] || apt install -y -q "${missing[@]}"; } &&
     { [ ${#missing_slurm[@]} -eq 0 ] || apt install -y -q --no-install-recommends "${missing_slurm[@]}"; }; then
    exit 0
  fi
  echo "[install-deps] apt-get failed (attempt $attempt), retrying in 10 s" >&2
  sleep 10
done
echo "[install-deps] could not install: ${missing[*]} ${missing_slurm[*]}" >&2
exit 1
