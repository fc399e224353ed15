"""The read replica: which requests read it, and when the primary takes over.

The router's rules are tested first on their own. Then a real pair
(config.localreplica: a primary and a `pg_basebackup -R` streaming replica
on loopback) is migrated and seeded, and gunicorn serves the site on it
with DATABASE_REPLICA_URL set. Where a page was read from shows in what it
says: while the replica's replay is paused, a change made on the primary
is on the primary only, so a page showing it was read from the primary
and a page without it from the replica. Nothing waits for a fixed time:
where the site must change its mind (lag, a stopped replica), the test
asks again until it has, within a generous bound.
"""

import contextlib
import datetime
import json
import os
import time
import uuid

import psycopg
import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from bench.seed import BENCH_DOMAIN, BENCH_PASSWORD, BIG_THREAD_TITLE
from bench.server import login, post_form, request
from config import db_router
from config.db_router import (
    ReplicaMiddleware,
    ReplicaMonitor,
    ReplicaRouter,
    ReplicaStatus,
    RequestState,
    lag_seconds,
    lsn_number,
    statement_writes,
)
from config.localreplica import MissingBinaries, PrimaryAndReplica
from members.common.prepared import from_row
from members.models import Organisation, User
from tests.test_gunicorn import (  # noqa: F401 (a fixture)
    BASE_DIR,
    collected_static,
    start_gunicorn,
)
from tests.test_settings import (
    manage_with_production_settings,
    production_env,
    run_python,
)

# ----- the rules, without servers -----

SHOW_DATABASES = """
import contextlib
import datetime
import json
from django.conf import settings
replica = settings.DATABASES.get("replica")
print(json.dumps({
    "replica": replica and {
        "atomic": replica["ATOMIC_REQUESTS"],
        "options": replica["OPTIONS"],
        "port": replica["PORT"],
    },
    "routers": settings.DATABASE_ROUTERS,
    "replica_middleware": "config.db_router.ReplicaMiddleware" in settings.MIDDLEWARE,
}))
"""


def shown_databases(**env):
    result = run_python(SHOW_DATABASES, production_env(RENKEI_PROCESS="web", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_a_replica_url_there_is_no_replica():
    shown = shown_databases(DATABASE_REPLICA_URL=None)
    assert shown == {"replica": None, "routers": [], "replica_middleware": False}


def test_a_replica_url_adds_the_alias_the_router_and_the_middleware():
    shown = shown_databases(DATABASE_REPLICA_URL="postgres://r@10.0.0.2:5433/renkei")
    assert shown["routers"] == ["config.db_router.ReplicaRouter"]
    assert shown["replica_middleware"]
    assert shown["replica"]["port"] == 5433
    # Never a transaction per request on the replica: that would connect
    # to it for every request, and fail them all while it is down.
    assert shown["replica"]["atomic"] is False
    assert shown["replica"]["options"]["connect_timeout"] == 2
    assert "statement_timeout=5s" in shown["replica"]["options"]["options"]


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("SELECT 1", False),
        ('  select "boards_thread"."id" FROM "boards_thread"', False),
        ('SELECT "id" FROM "boards_thread" WHERE id = 1 FOR UPDATE', True),
        ('SELECT "id" FROM "boards_thread" FOR NO KEY UPDATE', True),
        ("SELECT pg_advisory_xact_lock(1701, 2026)", True),
        ('INSERT INTO "boards_readstate" VALUES (1)', True),
        ('UPDATE "boards_thread" SET title = %s', True),
        ('DELETE FROM "django_session"', True),
        ("WITH moved AS (DELETE FROM t RETURNING *) SELECT 1", True),
        ("WITH recent AS (SELECT 1) SELECT * FROM recent", False),
        ('SAVEPOINT "s1"', False),
        ('RELEASE SAVEPOINT "s1"', False),
        ("LOCK TABLE boards_thread", True),
    ],
)
def test_statements_on_the_primary_count_as_writes_unless_they_only_read(sql, writes):
    assert statement_writes(sql) is writes


def test_a_wal_position_reads_as_a_number():
    assert lsn_number("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert lsn_number("0/10") < lsn_number("1/0")
    assert lsn_number(None) is None


NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


def ago(seconds):
    return NOW - datetime.timedelta(seconds=seconds)


def test_a_replica_that_replayed_the_primarys_position_has_no_lag():
    assert lag_seconds(100, ago(600), (100, NOW)) == 0


def test_a_replica_behind_lags_since_the_last_commit_it_replayed():
    assert lag_seconds(90, ago(30), (100, NOW)) == 30


def test_a_replica_that_replayed_the_last_measures_position_lags_since_then():
    # The last commit is long ago (an idle site); only WAL without commits
    # came after the last measure.
    assert lag_seconds(95, ago(600), (100, NOW), earlier=(95, ago(2))) == 2


def test_a_replica_short_of_the_last_measures_position_lags_since_its_commit():
    assert lag_seconds(90, ago(600), (100, NOW), earlier=(95, ago(2))) == 600


def test_a_replica_that_replayed_nothing_has_no_known_lag():
    assert lag_seconds(90, None, (100, NOW)) is None


@pytest.fixture
def state():
    """A request allowed to read the replica, as the middleware sets it."""
    state = RequestState(may_read_replica=True)
    token = db_router._request.set(state)
    yield state
    db_router._request.reset(token)


def test_without_a_request_everything_reads_the_primary():
    assert ReplicaRouter().db_for_read(User) == "default"


def test_a_request_allowed_to_reads_the_replica(state):
    assert ReplicaRouter().db_for_read(User) == "replica"
    assert state.read_replica


def test_after_its_first_write_a_request_reads_the_primary(state):
    router = ReplicaRouter()
    assert router.db_for_write(User) == "default"
    assert router.db_for_read(User) == "default"


def test_a_raw_write_on_the_primary_moves_the_request_there(db, state):
    with connection.execute_wrapper(db_router._notice_writes), connection.cursor() as c:
        c.execute("SELECT 1")
        assert not state.wrote
        c.execute("CREATE TEMPORARY TABLE marker (x int)")
    assert ReplicaRouter().db_for_read(User) == "default"


def test_instances_made_from_prepared_rows_are_not_taken_for_writes(state):
    """A model instance from a prepared query's row belongs to the database
    it was read from, so giving it a related object asks no router where to
    write (members/common/prepared.py)."""
    organisation = from_row(Organisation, ("id", "name"), (1, "七尾市"))
    user = from_row(User, ("id", "organisation_id"), (2, 1))

    user.organisation = organisation

    assert not state.wrote
    assert ReplicaRouter().db_for_read(User) == "replica"


def test_sessions_are_always_read_on_the_primary(state):
    assert ReplicaRouter().db_for_read(Session) == "default"


def test_inside_a_transaction_the_view_opened_reads_go_to_the_primary(db, state):
    # The request's own block (ATOMIC_REQUESTS) still reads the replica ...
    outside = len(connection.atomic_blocks)
    with transaction.atomic():
        state.request_atomic_depth = outside + 1
        assert ReplicaRouter().db_for_read(User) == "replica"
        # ... a service's block does not: it may write what it read.
        with transaction.atomic():
            assert ReplicaRouter().db_for_read(User) == "default"


def test_a_view_under_atomic_requests_reads_the_replica_in_its_own_block(state):
    def view(request):
        return HttpResponse()

    middleware = ReplicaMiddleware(view)
    middleware.process_view(RequestFactory().get("/boards/"), view, (), {})
    assert state.request_atomic_depth == len(connection.atomic_blocks) + 1
    non_atomic = transaction.non_atomic_requests(view)
    middleware.process_view(RequestFactory().get("/boards/"), non_atomic, (), {})
    assert state.request_atomic_depth == len(connection.atomic_blocks)


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "boards")
    assert not router.allow_migrate("replica", "boards")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/boards/"),
        ("PUT", "/boards/"),
        ("GET", "/admin/"),
        ("GET", "/accounts/login/"),
        ("GET", "/join/"),
    ],
)
def test_writes_admin_and_sign_in_never_read_the_replica(method, path):
    request = RequestFactory().generic(method, path)
    assert not ReplicaMiddleware(lambda r: None).may_read_replica(request)


class FakeConnection:
    """Enough of a connection for the middleware, without a server."""

    atomic_blocks = ()

    def execute_wrapper(self, wrapper):
        return contextlib.nullcontext()


def test_a_get_the_replica_failed_under_is_run_again_on_the_primary(monkeypatch):
    fake = FakeConnection()
    monkeypatch.setattr(db_router, "connections", {"default": fake, "replica": fake})
    monkeypatch.setattr(db_router, "monitor", ReplicaMonitor())
    monkeypatch.setattr(ReplicaMiddleware, "may_read_replica", lambda self, r: True)
    runs = []

    def view(request):
        state = db_router.current_request()
        runs.append(state.may_read_replica)
        # As _notice_replica_errors does when a replica query fails.
        state.replica_failed = state.may_read_replica
        return HttpResponse("page")

    response = ReplicaMiddleware(view)(RequestFactory().get("/boards/"))
    assert runs == [True, False]
    assert response.content == b"page"
    assert not db_router.monitor.status.usable


def test_a_promoted_replica_is_reported_as_an_error(caplog):
    monitor = ReplicaMonitor()
    monitor._set(ReplicaStatus(False, "promoted"))
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert "promoted" in caplog.records[0].getMessage()


# ----- a real primary and replica -----

MEMBERS = 3
SEED_USERS = 20
# Generous: a check every second, a cold gunicorn, a busy CI machine.
SETTLE_SECONDS = 60


def manage(url, *args):
    manage_with_production_settings(url, *args, timeout=600)


@pytest.fixture(scope="module")
def pair():
    """A migrated, seeded primary and its streaming replica.

    In a directory of its own, not pytest's: another pytest starting makes
    /tmp/pytest-of-<user> private again, which the servers' account (as
    root: postgres) must be able to pass through."""
    try:
        pair = PrimaryAndReplica().start()
    except MissingBinaries as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; CI must run the read replica tests")
        print(f"skipping the read replica tests: {missing}")
        pytest.skip(str(missing))
    with pair:
        url = pair.primary_url
        manage(url, "manage.py", "migrate", "--no-input", "-v", "0")
        manage(url, "manage.py", "createcachetable")
        manage(
            url,
            "-m",
            "bench.seed",
            *("--users", str(SEED_USERS), "--members", "0"),
            *("--threads", "10", "--posts", "30", "--big-thread", "5", "--pool", "5"),
            *("--disasters", "0", "--dispatches", "0"),
        )
        pair.wait_for_replay()
        yield pair


def replica_site(pair, **env):
    return start_gunicorn(
        pair.primary_url,
        DATABASE_REPLICA_URL=pair.replica_url,
        RENKEI_REPLICA_CHECK_SECONDS="1",
        RENKEI_REQUIRE_STAFF_MFA="0",
        **env,
    )


@pytest.fixture(scope="module")
def site(pair, collected_static):  # noqa: F811
    # Lag is allowed here, so that a paused replica goes on serving pages.
    process, base = replica_site(pair, RENKEI_REPLICA_MAX_LAG_SECONDS="86400")
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def members(site):
    """Cookie headers of signed-in members (without the pin of signing in)."""
    return [
        login(site, f"bench{number:05d}@{BENCH_DOMAIN}", BENCH_PASSWORD)
        for number in range(1, MEMBERS + 1)
    ]


@pytest.fixture(scope="module")
def thread(pair):
    with psycopg.connect(pair.primary_url) as db:
        (pk,) = db.execute(
            "SELECT id FROM boards_thread WHERE title = %s", [BIG_THREAD_TITLE]
        ).fetchone()
    return pk


@pytest.fixture
def paused(pair):
    """The replica up but replaying nothing: the primary's writes are the
    primary's only until the test ends."""
    pair.pause_replay()
    yield pair
    pair.resume_replay()
    pair.wait_for_replay()


def on_primary(pair, sql, params=()):
    with psycopg.connect(pair.primary_url, autocommit=True) as db:
        db.execute(sql, params)


def retitle(pair, thread):
    """Give the thread a new title on the primary; return it."""
    title = f"PRIMARY-{uuid.uuid4().hex}"
    on_primary(
        pair, "UPDATE boards_thread SET title = %s WHERE id = %s", [title, thread]
    )
    return title


def get(base, path, cookie):
    status, headers, page = request(base, "GET", path, headers={"Cookie": cookie})
    assert status == 200, (status, page[:500])
    return page, headers


def pin_of(headers):
    """The cookie a write sets, as the browser sends it back."""
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("renkei_wal="):
            return value.split(";", 1)[0]
    return None


def until(condition, what):
    deadline = time.monotonic() + SETTLE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {SETTLE_SECONDS} s")
        time.sleep(0.2)


def page_path(thread):
    return f"/boards/t/{thread}/?page=1"


def from_replica(base, path, cookie, only_on_primary):
    """Whether a page was read from the replica: it lacks what only the
    primary has. Asked again until it is: a process that found the replica
    down a moment ago tries it again a few seconds later."""
    until(
        lambda: only_on_primary not in get(base, path, cookie)[0],
        "a page read from the replica",
    )
    return True


@pytest.mark.load
def test_a_page_is_read_from_the_replica(site, members, paused, thread):
    title = retitle(paused, thread)
    assert from_replica(site, page_path(thread), members[0], title)


@pytest.mark.load
def test_a_person_who_wrote_reads_their_write_from_the_primary(
    site, members, paused, thread
):
    token = f"REPLICA-{uuid.uuid4().hex}"
    status, headers, _ = post_form(
        site,
        f"/boards/t/{thread}/reply/",
        {"body": f"書き込み {token}"},
        cookie=members[0],
    )
    assert status == 302
    pin = pin_of(headers)
    assert pin is not None
    # The reply is on the primary only, and its author sees it.
    page, _ = get(site, f"{headers_location(headers)}", f"{members[0]}; {pin}")
    assert token in page


@pytest.mark.load
def test_another_persons_read_can_be_from_the_replica(site, members, paused, thread):
    token = f"REPLICA-{uuid.uuid4().hex}"
    status, headers, _ = post_form(
        site,
        f"/boards/t/{thread}/reply/",
        {"body": f"書き込み {token}"},
        cookie=members[0],
    )
    assert status == 302
    assert from_replica(site, headers_location(headers), members[1], token)


@pytest.mark.load
def test_a_post_reads_the_primary(site, members, paused, thread):
    title = retitle(paused, thread)
    # An empty reply is refused, and the form shown again with the thread's
    # title as the view read it.
    status, _headers, page = post_form(
        site, f"/boards/t/{thread}/reply/", {"body": ""}, cookie=members[2]
    )
    assert status == 200
    assert title in page


@pytest.mark.load
def test_with_the_replica_stopped_pages_come_from_the_primary(
    pair, site, members, thread
):
    pair.stop_replica()
    try:
        title = retitle(pair, thread)
        for _ in range(5):
            page, _ = get(site, page_path(thread), members[1])
            assert title in page
    finally:
        pair.start_replica()
        pair.wait_for_replay()


@pytest.fixture
def strict_site(pair, collected_static):  # noqa: F811
    """The site allowing one second of lag."""
    process, base = replica_site(pair, RENKEI_REPLICA_MAX_LAG_SECONDS="1")
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.mark.load
def test_a_lagging_replica_is_left_for_the_primary(strict_site, paused, thread):
    cookie = login(strict_site, f"bench{1:05d}@{BENCH_DOMAIN}", BENCH_PASSWORD)
    title = retitle(paused, thread)
    # Only the primary has the new title; the replica falls further behind.
    until(
        lambda: title in get(strict_site, page_path(thread), cookie)[0],
        "pages from the primary",
    )


@pytest.fixture
def promoted(pair):
    """A second replica of the pair's primary, promoted by mistake."""
    with PrimaryAndReplica(primary_url=pair.primary_url) as second:
        second.wait_for_replay()
        second.promote_replica()
        yield second


@pytest.mark.load
def test_a_promoted_replica_is_never_read(promoted, pair, thread, collected_static):  # noqa: F811
    process, base = start_gunicorn(
        pair.primary_url,
        DATABASE_REPLICA_URL=promoted.replica_url,
        RENKEI_REPLICA_CHECK_SECONDS="1",
        RENKEI_REQUIRE_STAFF_MFA="0",
    )
    try:
        # Writable now: what it alone holds must never show.
        mistaken = f"PROMOTED-{uuid.uuid4().hex}"
        with psycopg.connect(promoted.replica_url, autocommit=True) as db:
            db.execute(
                "UPDATE boards_thread SET title = %s WHERE id = %s", [mistaken, thread]
            )
        cookie = login(base, f"bench{2:05d}@{BENCH_DOMAIN}", BENCH_PASSWORD)
        for _ in range(5):
            page, _ = get(base, page_path(thread), cookie)
            assert mistaken not in page
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=15)


def headers_location(headers):
    return dict((name.lower(), value) for name, value in headers)["location"]
