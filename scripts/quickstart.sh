#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, run the clickstream job on the bundled
# sample at 2 ranks, print the summary and where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
echo "[quickstart] mpirun -n 2 build/dumpmill run jobs/clickstream.ini"
mpirun -n 2 --oversubscribe build/dumpmill run jobs/clickstream.ini
echo
echo "[quickstart] results in out/clickstream/. Try:"
echo "  sqlite3 out/clickstream/clickstream.sqlite \"SELECT prev, n FROM pairs WHERE curr = 'Main_Page' ORDER BY n DESC LIMIT 5\""
echo "  /usr/bin/python3 -c \"import sys; sys.path.insert(0, 'tests/h5'); import load_table; print(load_table.load_table('out/clickstream/clickstream.h5', 'articles').nlargest(5, 'n_in'))\""
