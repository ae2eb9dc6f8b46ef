#!/usr/bin/env bash
# Builds Slurm's `scrontab` client, which Debian 12 compiles but does not ship in slurm-client,
# from the Debian source package matching the installed Slurm (usage: build-scrontab.sh [OUT_DIR]).
#
# Prints the path of the binary on its last line. OUT_DIR defaults to a per-user cache,
# ${XDG_CACHE_HOME:-~/.cache}/dumpmill/slurm-tools, so every build tree's tests share one build;
# copy the binary next to sbatch (e.g. /usr/local/bin) to use it by hand. A binary already built
# for the installed Slurm version is reused. The build took 23 s on an idle 2-core machine here
# (18 s of it configure, 4 s the download) and up to 80 s while a C++ build shared the cores.
# Exit codes: 0 built or reused; 1 a build step failed; 3 the source package cannot be fetched
# or Slurm is not installed (the tests skip only their scrontab part on 3).
#
# apt-get source needs `deb-src` lines, which the Debian 12 images here do not have: rather than
# edit /etc/apt, the script derives deb-src entries from the enabled `deb` ones and points apt at
# them with private list and cache directories, so the machine's apt state is left untouched.
set -euo pipefail

out_dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/dumpmill/slurm-tools}"
libslurm=/usr/lib/x86_64-linux-gnu/slurm-wlm/libslurmfull.so

say() { echo "[build-scrontab] $(date +%T) $*" >&2; }
unavailable() { say "cannot build scrontab: $*"; exit 3; }

version="$(dpkg-query -W -f='${Version}' slurm-client 2>/dev/null || true)"
[ -n "$version" ] || unavailable "slurm-client is not installed (scripts/install-deps.sh installs it)"
[ -f "$libslurm" ] || unavailable "$libslurm is missing (package slurm-wlm-basic-plugins)"
for tool in gcc make dpkg-source; do
  command -v "$tool" >/dev/null || unavailable "'$tool' is not installed"
done

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
stamp="$out_dir/scrontab.version"
if [ -x "$out_dir/scrontab" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  say "reusing $out_dir/scrontab (built for slurm $version)"
  echo "$out_dir/scrontab"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/build-scrontab.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# deb-src twins of every enabled deb source, in both apt formats (deb822 .sources, one-line .list).
mkdir -p "$work/apt/parts" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$work/apt/parts/derived.list"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed 's/^Types:.*/Types: deb-src/' "$f" >"$work/apt/parts/$(basename "$f")"
done
apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/apt/parts"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
  -o "DPkg::Lock::Timeout=300" -q)

say "fetching Debian source slurm-wlm=$version"
cd "$work"
apt-get "${apt_opts[@]}" update >"$work/apt-update.log" 2>&1 ||
  unavailable "apt-get update of the deb-src lists failed: $(tail -n 3 "$work/apt-update.log")"
apt-get "${apt_opts[@]}" source --download-only "slurm-wlm=$version" >"$work/apt-source.log" 2>&1 ||
  unavailable "apt-get source slurm-wlm=$version failed: $(tail -n 3 "$work/apt-source.log")"
# With Debian's patches applied: libslurmfull.so was built from the patched tree too.
dpkg-source -x ./slurm-wlm_*.dsc src >"$work/dpkg-source.log" 2>&1 ||
  { say "dpkg-source -x failed:"; tail -n 5 "$work/dpkg-source.log" >&2; exit 1; }

# configure only generates config.h and the headers scrontab needs; nothing else is compiled.
say "configuring (~20 s)"
(cd src && ./configure --prefix=/usr --sysconfdir=/etc/slurm --without-munge --disable-x11 \
  >"$work/configure.log" 2>&1) || { say "configure failed:"; tail -n 20 "$work/configure.log" >&2; exit 1; }

say "compiling src/scrontab"
# Like upstream's Makefile, the help text and the default crontab are linked in as binary blobs;
# `ld -b binary` names their symbols after the path, so it runs inside the directory.
(cd src/src/scrontab && ld -r -b binary -z noexecstack -o "$work/usage.o" usage.txt &&
  ld -r -b binary -z noexecstack -o "$work/default_crontab.o" default_crontab.txt)
srcs=(src/src/scrontab/*.c "$work/usage.o" "$work/default_crontab.o")
gcc -O2 -g -DHAVE_CONFIG_H -I src -I src/src/common -I src/slurm "${srcs[@]}" \
  -o "$work/scrontab" "$libslurm" -Wl,-rpath,"$(dirname "$libslurm")" -lpthread -ldl -lm \
  >"$work/compile.log" 2>&1 || { say "compile failed:"; tail -n 30 "$work/compile.log" >&2; exit 1; }

# Rename into place: another build tree's test may be running the cached binary right now.
install -m 0755 "$work/scrontab" "$out_dir/scrontab.tmp.$$"
mv -f "$out_dir/scrontab.tmp.$$" "$out_dir/scrontab"
echo "$version" >"$stamp.tmp.$$" && mv -f "$stamp.tmp.$$" "$stamp"
say "built $out_dir/scrontab for slurm $version"
echo "$out_dir/scrontab"
