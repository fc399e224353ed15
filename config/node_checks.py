"""Checks that an app node belongs with the others, before it serves anyone.

Several gunicorn nodes behind one load balancer must be the same site: a
node with another SECRET_KEY signs sessions, CSRF tokens and password-reset
links the others reject (members are signed out at random as the balancer
moves them), a node with other code or settings renders other pages, and a
node whose clock is off expires sessions, presigned links and rate limits
early or late. So a node is refused:

    secret key        the HMAC fingerprint of its SECRET_KEY differs from the
                      one recorded in the database (table
                      renkei_node_identity). The key itself is never stored.
    settings version  its RENKEI_SETTINGS_VERSION differs from the recorded
                      one (an operator's label for a set of settings and
                      code, e.g. the release tag).
    migrations        the database holds migrations this code does not know
                      (the node runs older code), or this code has
                      migrations the database lacks (the release step has
                      not run).
    clock             its clock differs from PostgreSQL's clock_timestamp()
                      by more than RENKEI_MAX_CLOCK_SKEW seconds.

The first node to start on an empty database records its fingerprint and
settings version; `python -m config.node_checks --record` (the release step)
records this environment's values on purpose, after the key or the version
was changed and before the nodes start again.

When they run:
  - as gunicorn starts (config/gunicorn.conf.py, on_starting): a node that
    fails exits with status 3 and the reason in its log, before it listens,
    so the load balancer never sends it a member. If PostgreSQL cannot be
    reached then, the node starts (it answers the 503 page meanwhile) and
    the checks run on the first /healthz that reaches the database;
  - on every /healthz, the clock (it can drift after the start): a node off
    by more than the limit answers 503 and leaves the balancer's pool until
    its clock is right again.
"""

import logging
import os
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

TABLE = "renkei_node_identity"
# Exit status of a refused node (gunicorn's own for "worker failed to boot").
REFUSED = 3


class NodeRefused(Exception):
    """This node must not serve: the message says why and what to do."""


@dataclass(frozen=True)
class Identity:
    """What every node of one site must share."""

    fingerprint: str
    settings_version: str


def this_node() -> Identity:
    return Identity(
        fingerprint=fingerprint(settings.SECRET_KEY),
        settings_version=settings.RENKEI_SETTINGS_VERSION,
    )


def fingerprint(secret_key: str) -> str:
    """An HMAC of a fixed text under the key: equal keys, equal fingerprints;
    the key cannot be had back from it."""
    return salted_hmac(
        "config.node_checks", "node identity", secret=secret_key, algorithm="sha256"
    ).hexdigest()


def _ensure_table(cursor):
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " name text PRIMARY KEY,"
        " value text NOT NULL,"
        " recorded_at timestamptz NOT NULL DEFAULT now())"
    )


def recorded_identity(*, record_if_missing: bool) -> Identity | None:
    """The identity in the database; this node's is written first if none is
    (and record_if_missing), so that the first node sets it for the rest."""
    mine = this_node()
    with connection.cursor() as cursor:
        _ensure_table(cursor)
        if record_if_missing:
            cursor.execute(
                f"INSERT INTO {TABLE} (name, value) VALUES"  # noqa: S608
                " ('fingerprint', %s), ('settings_version', %s)"
                " ON CONFLICT (name) DO NOTHING",
                [mine.fingerprint, mine.settings_version],
            )
        cursor.execute(f"SELECT name, value FROM {TABLE}")  # noqa: S608
        rows = dict(cursor.fetchall())
    if "fingerprint" not in rows:
        return None
    return Identity(rows["fingerprint"], rows.get("settings_version", ""))


def record_identity() -> Identity:
    """Make this environment's key and settings version the site's."""
    mine = this_node()
    with connection.cursor() as cursor:
        _ensure_table(cursor)
        cursor.execute(
            f"INSERT INTO {TABLE} (name, value) VALUES"  # noqa: S608
            " ('fingerprint', %s), ('settings_version', %s)"
            " ON CONFLICT (name) DO UPDATE"
            " SET value = EXCLUDED.value, recorded_at = now()",
            [mine.fingerprint, mine.settings_version],
        )
    return mine


def check_identity(recorded: Identity | None) -> list[str]:
    mine = this_node()
    if recorded is None:
        return []
    problems = []
    if recorded.fingerprint != mine.fingerprint:
        problems.append(
            "DJANGO_SECRET_KEY differs from the key the other nodes use (its "
            "fingerprint does not match the one recorded in the database). "
            "Give every node the same key; after changing it on purpose, stop "
            "all nodes and run `python -m config.node_checks --record` once."
        )
    if recorded.settings_version != mine.settings_version:
        problems.append(
            f"RENKEI_SETTINGS_VERSION is {mine.settings_version!r}, but the "
            f"other nodes run {recorded.settings_version!r}. Deploy the same "
            "release everywhere; a new release records its version with "
            "`python -m config.node_checks --record` in the release step."
        )
    return problems


def check_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    loader = executor.loader
    known = set(loader.disk_migrations)
    installed = {app for app, _name in known}
    unknown = sorted(
        f"{app}.{name}"
        for app, name in loader.applied_migrations
        if app in installed and (app, name) not in known
    )
    unapplied = sorted(
        f"{migration.app_label}.{migration.name}"
        for migration, _backwards in executor.migration_plan(loader.graph.leaf_nodes())
    )
    problems = []
    if unknown:
        problems.append(
            "the database has migrations this code does not know ("
            + ", ".join(unknown[:5])
            + "): this node runs older code than the others."
        )
    if unapplied:
        problems.append(
            "this code has migrations the database lacks ("
            + ", ".join(unapplied[:5])
            + "): run the release step (manage.py migrate) first."
        )
    return problems


def local_time() -> float:
    """This machine's clock (a function, so that tests can move it)."""
    return time.time()


def clock_skew() -> float:
    """Seconds this machine's clock is ahead of PostgreSQL's (negative: behind)."""
    with connection.cursor() as cursor:
        before = local_time()
        cursor.execute("SELECT extract(epoch FROM clock_timestamp())")
        after = local_time()
        database = float(cursor.fetchone()[0])
    return (before + after) / 2 - database


def check_clock() -> list[str]:
    skew = clock_skew()
    limit = settings.RENKEI_MAX_CLOCK_SKEW
    if abs(skew) <= limit:
        return []
    direction = "ahead of" if skew > 0 else "behind"
    return [
        f"this machine's clock is {abs(skew):.1f} s {direction} PostgreSQL's "
        f"(at most {limit:g} s allowed): synchronise it (NTP / chrony)."
    ]


def lasting_problems(*, record_if_missing: bool = True) -> list[str]:
    """What keeps this node from joining the others until it is redeployed."""
    return [
        *check_identity(recorded_identity(record_if_missing=record_if_missing)),
        *check_migrations(),
    ]


def problems(*, record_if_missing: bool = True) -> list[str]:
    """Everything that keeps this node from joining the others."""
    return [*lasting_problems(record_if_missing=record_if_missing), *check_clock()]


# Set in gunicorn's master when the checks could not reach the database; the
# workers inherit it and check on their first /healthz instead.
_pending = False
# What the first check in this process found (None: not yet checked).
_found: list[str] | None = None


def check_at_start() -> None:
    """gunicorn's on_starting hook: refuse to start, or start checked.

    Raises SystemExit(REFUSED) with the reasons logged when the node does
    not belong; if the database cannot be reached, starts and leaves the
    checks to /healthz.
    """
    global _pending, _found
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    try:
        found = lasting_problems()
        clock = check_clock()
    except DatabaseError as error:
        logger.warning(
            "Node checks could not reach the database (%s); "
            "they run on the first /healthz that does.",
            str(error).strip(),
        )
        _pending = True
        return
    finally:
        # Nothing opened here may be shared with the forked workers.
        connection.close()
    if found or clock:
        for problem in [*found, *clock]:
            logger.error("This node refuses to start: %s", problem)
        raise SystemExit(REFUSED)
    _found = []


def health_problems() -> list[str]:
    """What /healthz reports besides the database: the clock on every call,
    and the start's checks once if they could not run at the start.

    Raises DatabaseError when the database does not answer.
    """
    global _pending, _found
    if _pending and _found is None:
        _found = lasting_problems()
        _pending = False
        for problem in _found:
            logger.error("This node must not serve: %s", problem)
    return [*(_found or []), *check_clock()]


def main(argv=None):
    """python -m config.node_checks [--record]: may this environment join the
    nodes? With --record, make its key and settings version the site's (the
    release step). Exit status 0 when it may, 1 with the reasons when not."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n")[0])
    parser.add_argument(
        "--record",
        action="store_true",
        help="record this environment's key fingerprint and settings version",
    )
    args = parser.parse_args(argv)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    if args.record:
        identity = record_identity()
        print(
            f"Recorded: key fingerprint {identity.fingerprint[:12]}…, "
            f"settings version {identity.settings_version!r}."
        )
    found = problems(record_if_missing=False)
    for problem in found:
        print(f"This node may not join the others: {problem}", file=sys.stderr)
    if not found:
        print("This node may join the others.")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
