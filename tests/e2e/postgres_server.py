"""A throwaway PostgreSQL 15 for the tests (ctest fixture): never touches a system cluster.

usage: postgres_server.py start|stop --dir DIR
start: initdb in DIR/data as user postgres (initdb refuses root), trust for local connections
       except role dm_pw (scram-sha-256, password in DIR/password) to test PGPASSWORD; starts it
       on a random free 127.0.0.1 port with its socket in DIR; writes the base URL to DIR/url.
stop:  pg_ctl -m immediate stop (the data is thrown away anyway), then removes DIR.
Exit code 77 (ctest's skip) when the PostgreSQL 15 server binaries are not installed."""

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys

BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "dm-Secret'9"
HBA = """# written by tests/e2e/postgres_server.py
local all all trust
host all dm_pw 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


def as_owner(cmd):
    """Runs cmd as the postgres user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(d):
    data = os.path.join(d, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        try:
            as_owner([f"{BIN}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        except subprocess.CalledProcessError as e:
            print(f"pg_ctl stop: {e.stderr}", file=sys.stderr)
    shutil.rmtree(d, ignore_errors=True)


def start(d):
    if not os.path.exists(f"{BIN}/pg_ctl"):
        print(f"skipped: {BIN}/pg_ctl not installed (scripts/install-deps.sh installs postgresql-15)")
        sys.exit(77)
    stop(d)  # a cluster left by an interrupted run of this build tree
    os.makedirs(d)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(d, pw.pw_uid, pw.pw_gid)
    data = os.path.join(d, "data")
    as_owner([f"{BIN}/initdb", "-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8",
              "--locale=C.UTF-8"])
    with open(os.path.join(data, "pg_hba.conf"), "w") as f:
        f.write(HBA)
    for attempt in range(5):
        port = free_port()
        try:
            as_owner([f"{BIN}/pg_ctl", "-D", data, "-l", os.path.join(d, "server.log"), "-w", "-t", "60",
                      "-o", f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
            break
        except subprocess.CalledProcessError as e:  # the port was taken between bind and start
            print(f"start on port {port} failed: {e.stderr}", file=sys.stderr)
    else:
        sys.exit("could not start PostgreSQL; see " + os.path.join(d, "server.log"))
    url = f"postgresql://postgres@127.0.0.1:{port}"
    subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", url + "/postgres", "-c",
                    "CREATE ROLE dm_pw LOGIN SUPERUSER PASSWORD '" + PASSWORD.replace("'", "''") + "'"],
                   check=True)
    open(os.path.join(d, "url"), "w").write(url)
    open(os.path.join(d, "password"), "w").write(PASSWORD)
    print(f"PostgreSQL 15 ready at {url} (data {data})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["start", "stop"])
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    (start if args.action == "start" else stop)(args.dir)


if __name__ == "__main__":
    main()
