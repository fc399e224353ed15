"""Read-only pages from the read replica; everything else from the primary.

Installed only when DATABASE_REPLICA_URL is set (config/settings.py adds
the "replica" alias, ReplicaRouter and ReplicaMiddleware). Without a web
request in progress (the task worker, commands, tests) every query goes to
the primary: only ReplicaMiddleware ever lets a request read the replica.

A request reads the replica when all of these hold, decided at its start:
  - it is a GET or HEAD outside the admin, sign-in and sign-up pages;
  - the replica is usable (ReplicaStatus, below): reachable, in recovery,
    and no more than RENKEI_REPLICA_MAX_LAG_SECONDS behind;
  - the person has no write the replica has not yet replayed (the pin
    cookie, below).
And it keeps reading it only until it writes: from its first write on, and
inside any transaction.atomic block the view opens itself (services that
write), it reads the primary, so it sees its own writes and writes nothing
based on a stale read. A write is noticed two ways: the ORM asks the
router where to write (db_for_write, also for select_for_update and
get_or_create), and any statement other than a plain SELECT run on the
primary's connection (raw SQL such as the read marker's upsert) counts.

Read-your-writes: after a request that wrote, the response carries a
signed cookie with the primary's WAL position (pg_current_wal_lsn) after
the request's commit. The person's requests read the primary until the
replica has replayed past that position. This rather than a fixed number
of seconds: it holds whatever the lag and however clocks differ between
nodes, and a person is back on the replica as soon as it has caught up
(at most the check interval after it did) rather than after a worst-case
wait, which matters because opening a thread writes its read marker.

The replica's state is measured at most every RENKEI_REPLICA_CHECK_SECONDS
per process (not per query): on the replica pg_is_in_recovery(),
pg_last_wal_replay_lsn() and pg_last_xact_replay_timestamp(); then on the
primary pg_current_wal_lsn() and its clock. Caught up (replayed at least
the primary's position) is no lag; otherwise the lag is the time since the
last commit the replica replayed, by the primary's clock, which is never
less than the true staleness. A replica that is not in recovery has been
promoted by mistake: an error is logged and it is not used until it is a
replica again. A replica that cannot be reached is not used until a later
check reaches it (tried UNREACHABLE_BACKOFF intervals apart); if it fails
during a request (a broken connection, a query cancelled by replay), a GET
that has not written is run again on the primary.
"""

import contextvars
import logging
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
# Pages whose reads must be current or that belong to the primary's work.
PRIMARY_PATHS = ("/admin/", "/accounts/", "/join/")
# Read on the primary always: sessions (just made at sign-in), the database
# cache (sign-in rate limits, pages).
PRIMARY_APPS = {"sessions", "django_cache"}
SAFE_METHODS = {"GET", "HEAD"}
PIN_COOKIE = "renkei_wal"
PIN_SALT = "config.db_router.pin"
# A write the replica has not replayed after this long is older than any
# lag it may have and still be used.
PIN_MAX_AGE = 300
# An unreachable replica is tried this many check intervals apart.
UNREACHABLE_BACKOFF = 5

_request = contextvars.ContextVar("replica_request", default=None)


def lsn_number(text):
    """A pg_lsn's text ('16/B374D848') as a number, or None."""
    if not text:
        return None
    high, _, low = str(text).partition("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class RequestState:
    """What one request may read, and whether it has written."""

    may_read_replica: bool
    # transaction.atomic blocks open on the primary around the view itself
    # (ATOMIC_REQUESTS): deeper ones are the view's own.
    request_atomic_depth: int = 0
    wrote: bool = False
    read_replica: bool = False
    replica_failed: bool = False

    def reads_replica(self):
        if not self.may_read_replica or self.wrote:
            return False
        depth = len(connections[PRIMARY].atomic_blocks)
        return depth <= self.request_atomic_depth


def current_request():
    return _request.get()


# ----- the replica's state, per process -----


@dataclass(frozen=True)
class ReplicaStatus:
    usable: bool
    reason: str
    replay_lsn: int | None = None
    lag_seconds: float | None = None


class ReplicaMonitor:
    """The last measure of the replica, renewed at most every interval."""

    def __init__(self):
        self._lock = threading.Lock()
        self.status = ReplicaStatus(False, "not checked yet")
        self._checked_at = None

    def current(self):
        interval = settings.RENKEI_REPLICA_CHECK_SECONDS
        if self.status.reason.startswith("unreachable"):
            # Trying to connect may take the connect timeout (2 s) of a page.
            interval *= UNREACHABLE_BACKOFF
        due = self._checked_at is None or (
            time.monotonic() - self._checked_at >= interval
        )
        # One thread measures; the others go on with the last measure.
        if due and self._lock.acquire(blocking=False):
            try:
                self._set(measure())
            finally:
                self._checked_at = time.monotonic()
                self._lock.release()
        return self.status

    def failed(self, reason):
        """The replica failed in use: unusable until the next check."""
        self._set(ReplicaStatus(False, reason))
        self._checked_at = time.monotonic()

    def reset(self):
        self.__init__()

    def _set(self, status):
        before, self.status = self.status, status
        if status.reason == before.reason and status.usable == before.usable:
            return
        if status.reason == "promoted":
            logger.error(
                "The read replica is not in recovery (promoted?): it is not used; "
                "every read goes to the primary."
            )
        elif not status.usable:
            logger.warning("The read replica is not used: %s", status.reason)
        else:
            logger.info("The read replica is used again.")


def measure():
    """The replica's state now (see the module's docstring)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
                "pg_last_xact_replay_timestamp()"
            )
            in_recovery, replay_text, replayed_at = cursor.fetchone()
    except DatabaseError as error:
        connections[REPLICA].close()
        return ReplicaStatus(False, f"unreachable ({type(error).__name__})")
    if not in_recovery:
        return ReplicaStatus(False, "promoted")
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text, clock_timestamp()")
            primary_text, primary_now = cursor.fetchone()
    except DatabaseError as error:
        return ReplicaStatus(False, f"primary unreachable ({type(error).__name__})")
    replay_lsn = lsn_number(replay_text)
    if replay_lsn is not None and replay_lsn >= lsn_number(primary_text):
        lag = 0.0
    elif replayed_at is None:
        return ReplicaStatus(False, "nothing replayed yet", replay_lsn)
    else:
        lag = max(0.0, (primary_now - replayed_at).total_seconds())
    if lag > settings.RENKEI_REPLICA_MAX_LAG_SECONDS:
        return ReplicaStatus(False, f"lags {lag:.1f} s", replay_lsn, lag)
    return ReplicaStatus(True, "in use", replay_lsn, lag)


monitor = ReplicaMonitor()


# ----- noticing writes -----

# Statements that only read, unless they lock rows or take advisory locks.
_READS = re.compile(r"^\s*(SELECT|SHOW|SAVEPOINT|RELEASE|ROLLBACK TO)\b", re.I)
_LOCKS = re.compile(
    r"\bFOR\s+((NO\s+)?KEY\s+)?(UPDATE|SHARE)\b|\bpg_advisory|\bnextval\(", re.I
)
_CTE_WRITES = re.compile(r"^\s*WITH\b.*\b(INSERT|UPDATE|DELETE|MERGE)\b", re.I | re.S)


def statement_writes(sql):
    """Whether a statement run on the primary counts as a write."""
    if re.match(r"^\s*WITH\b", sql, re.I):
        return bool(_CTE_WRITES.match(sql) or _LOCKS.search(sql))
    if _READS.match(sql):
        return bool(_LOCKS.search(sql))
    return True


def _notice_writes(execute, sql, params, many, context):
    state = _request.get()
    if state is not None and not state.wrote and statement_writes(sql):
        state.wrote = True
    return execute(sql, params, many, context)


def _notice_replica_errors(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    except DatabaseError:
        state = _request.get()
        if state is not None:
            state.replica_failed = True
        raise


# ----- the router -----


class ReplicaRouter:
    """Reads to the replica only while the request's state allows it."""

    def db_for_read(self, model, **hints):
        state = _request.get()
        if (
            state is None
            or model._meta.app_label in PRIMARY_APPS
            or not state.reads_replica()
        ):
            return PRIMARY
        state.read_replica = True
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _request.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


# ----- the middleware -----


class ReplicaMiddleware:
    """Decides each request's reads; pins a person who wrote to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = RequestState(may_read_replica=self.may_read_replica(request))
        response = self.run(request, state)
        if state.replica_failed and not state.wrote:
            # The replica failed under the request before it wrote anything:
            # run the GET again on the primary.
            monitor.failed("failed during a request")
            state = RequestState(may_read_replica=False)
            response = self.run(request, state)
        if state.wrote:
            self.pin(response)
        return response

    def run(self, request, state):
        token = _request.set(state)
        try:
            with connections[PRIMARY].execute_wrapper(_notice_writes):
                if not state.may_read_replica:
                    return self.get_response(request)
                with connections[REPLICA].execute_wrapper(_notice_replica_errors):
                    return self.get_response(request)
        finally:
            _request.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _request.get()
        if state is not None:
            non_atomic = getattr(view_func, "_non_atomic_requests", set())
            atomic = (
                settings.DATABASES[PRIMARY].get("ATOMIC_REQUESTS")
                and PRIMARY not in non_atomic
            )
            state.request_atomic_depth = len(connections[PRIMARY].atomic_blocks) + (
                1 if atomic else 0
            )

    def may_read_replica(self, request):
        if request.method not in SAFE_METHODS or request.path.startswith(PRIMARY_PATHS):
            return False
        status = monitor.current()
        if not status.usable:
            return False
        pinned = lsn_number(
            request.get_signed_cookie(
                PIN_COOKIE, default=None, salt=PIN_SALT, max_age=PIN_MAX_AGE
            )
        )
        if pinned is not None and (status.replay_lsn or 0) < pinned:
            return False
        replica = connections[REPLICA]
        try:
            replica.close_if_health_check_failed()
            replica.ensure_connection()
        except DatabaseError:
            replica.close()
            monitor.failed("unreachable")
            return False
        return True

    def pin(self, response):
        """The primary's WAL position after the request's writes committed."""
        try:
            with connections[PRIMARY].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                (position,) = cursor.fetchone()
        except DatabaseError:
            return
        response.set_signed_cookie(
            PIN_COOKIE,
            position,
            salt=PIN_SALT,
            max_age=PIN_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
