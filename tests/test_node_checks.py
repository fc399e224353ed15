"""A node that does not belong with the others is refused (config/node_checks.py)."""

import subprocess
import tempfile
import time

import pytest
from django.db import connection

from config import node_checks
from tests.reliability.conftest import database_url
from tests.test_gunicorn import BASE_DIR, GUNICORN, free_port
from tests.test_settings import production_env

pytestmark = pytest.mark.django_db


def empty_identity():
    with connection.cursor() as cursor:
        node_checks._ensure_table(cursor)
        cursor.execute(f"DELETE FROM {node_checks.TABLE}")  # noqa: S608


@pytest.fixture
def fresh_site():
    """A database no node has started on yet (rolled back after the test)."""
    empty_identity()


def test_the_first_node_records_its_identity(fresh_site):
    assert node_checks.problems() == []
    recorded = node_checks.recorded_identity(record_if_missing=False)
    assert recorded == node_checks.this_node()


def test_the_key_itself_is_not_recorded(fresh_site, settings):
    node_checks.problems()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {node_checks.TABLE}")  # noqa: S608
        values = [value for (value,) in cursor.fetchall()]
    assert all(settings.SECRET_KEY not in value for value in values)


def test_a_node_with_the_same_key_and_version_may_join(fresh_site):
    node_checks.problems()
    assert node_checks.problems() == []


def test_a_node_with_another_secret_key_is_refused(fresh_site, settings):
    node_checks.problems()
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    (problem,) = node_checks.problems()
    assert "DJANGO_SECRET_KEY differs" in problem


def test_a_node_with_another_settings_version_is_refused(fresh_site, settings):
    settings.RENKEI_SETTINGS_VERSION = "2026.12"
    node_checks.problems()
    settings.RENKEI_SETTINGS_VERSION = "2026.11"
    (problem,) = node_checks.problems()
    assert "RENKEI_SETTINGS_VERSION is '2026.11'" in problem
    assert "'2026.12'" in problem


def test_recording_on_purpose_makes_the_new_key_the_sites(fresh_site, settings, capsys):
    node_checks.problems()
    settings.SECRET_KEY = "the-rotated-secret-key-" + "z" * 40
    assert node_checks.main(["--record"]) == 0
    assert node_checks.problems() == []


def test_the_command_says_why_a_node_may_not_join(fresh_site, settings, capsys):
    node_checks.problems()
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    assert node_checks.main([]) == 1
    assert "DJANGO_SECRET_KEY differs" in capsys.readouterr().err


def test_a_node_with_older_code_than_the_database_is_refused(fresh_site):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied)"
            " VALUES ('members', '9999_from_a_newer_release', now())"
        )
    (problem,) = node_checks.problems()
    assert "does not know (members.9999_from_a_newer_release)" in problem


def test_a_node_whose_migrations_are_not_applied_is_refused(fresh_site):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'members')"
        )
    (problem,) = node_checks.problems()
    assert "migrations the database lacks (members." in problem


def test_a_node_whose_clock_is_off_is_refused(fresh_site, monkeypatch, settings):
    settings.RENKEI_MAX_CLOCK_SKEW = 3
    monkeypatch.setattr(node_checks, "local_time", lambda: time.time() + 10)
    (problem,) = node_checks.problems()
    assert "10." in problem and "ahead of PostgreSQL" in problem


def test_a_node_with_the_right_time_passes_the_clock_check():
    assert abs(node_checks.clock_skew()) < 1


def test_healthz_leaves_the_pool_while_the_clock_is_off(client, monkeypatch):
    monkeypatch.setattr(node_checks, "local_time", lambda: time.time() - 30)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"behind PostgreSQL" in response.content


def test_healthz_runs_the_start_checks_it_could_not_run_then(
    fresh_site, client, monkeypatch, settings
):
    node_checks.problems()
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    monkeypatch.setattr(node_checks, "_pending", True)
    monkeypatch.setattr(node_checks, "_found", None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"DJANGO_SECRET_KEY differs" in response.content


# ----- gunicorn refuses to start -----


@pytest.fixture
def site_of_another_key(transactional_db, settings):
    """The test database, committed, with another key recorded as the site's."""
    empty_identity()
    settings.SECRET_KEY = "the-key-the-other-nodes-use-" + "k" * 40
    node_checks.record_identity()
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {node_checks.TABLE}")


def test_gunicorn_refuses_to_start_a_node_with_another_key(site_of_another_key):
    with tempfile.TemporaryFile() as log:
        process = subprocess.run(
            [
                GUNICORN,
                "config.wsgi",
                "--config",
                "config/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{free_port()}",
                "--workers",
                "1",
            ],
            cwd=BASE_DIR,
            env=production_env(DATABASE_URL=database_url()),
            stdout=subprocess.DEVNULL,
            stderr=log,
            timeout=120,
            check=False,
        )
        log.seek(0)
        output = log.read().decode()
    assert process.returncode == node_checks.REFUSED
    assert "This node refuses to start: DJANGO_SECRET_KEY differs" in output
    assert "Booting worker" not in output
