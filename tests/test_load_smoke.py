"""A short load test: members against gunicorn with production settings.

The same run as `make load` (bench.load and bench/locustfile.py), shortened
to 20 members for 30 seconds so that it fits in the suite: every request
must succeed and every post the members were told was saved must be in the
database. Here every post carries a file, so that files are checked too,
and every member replies to a thread as soon as it has signed in, so that
there are posts to check however slow the machine is.
Deselect it with `-m "not load"`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection as django_connection
from psycopg import sql

from config.database_url import database_url

pytestmark = pytest.mark.load

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def load_database():
    """A database of its own: bench.load empties the boards of the one it gets."""
    # Named after the test database, so that runs sharing a server (pytest
    # workers, or two checkouts) do not drop each other's.
    name = f"{django_connection.settings_dict['NAME']}_load_smoke"
    maintenance = database_url(django_connection.settings_dict, name="postgres")
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(name)
    )
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield database_url(django_connection.settings_dict, name=name)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(drop)


@pytest.fixture(scope="module")
def run(load_database, tmp_path_factory):
    """The summary bench.load writes after 20 members used the site for 30 s."""
    summary = tmp_path_factory.mktemp("load") / "summary.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            *("--users", "20", "--spawn-rate", "10", "--duration", "30s"),
            *("--threads", "200", "--posts", "2000", "--attachment-share", "1"),
            "--reply-on-arrival",
            *("--json", str(summary)),
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": load_database, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert summary.exists(), result.stdout + result.stderr
    return json.loads(summary.read_text()), result


def test_no_request_fails(run):
    summary, result = run
    assert summary["total"]["requests"] > 0
    assert summary["total"]["failures"] == 0, result.stdout


def test_every_member_signs_in(run):
    summary, _result = run
    assert summary["kinds"]["sign in"]["requests"] == 20


def test_every_post_the_members_were_told_about_is_saved_once(run):
    summary, _result = run
    posts = summary["posts"]
    created = posts["replies"] + posts["threads"]
    assert created > 0
    assert posts["found"] == created
    assert posts["posts_after"] - posts["posts_before"] == created


def test_no_post_is_saved_that_no_member_was_told_about(run):
    summary, _result = run
    assert summary["posts"]["unknown"] == 0


def test_every_file_sent_is_stored(run):
    summary, _result = run
    posts = summary["posts"]
    assert posts["files_stored"] == posts["replies"] + posts["threads"]


def test_the_run_passes(run):
    summary, result = run
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["passed"]
