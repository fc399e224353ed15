"""The production command line: gunicorn with production settings."""

import http.client
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.database_url import database_url
from tests.test_settings import production_env

BASE_DIR = Path(settings.BASE_DIR)
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PROXY_ADDRESS = "127.0.0.2"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(base, path, headers=None, source="127.0.0.1"):
    """GET through the HTTPS-terminating proxy's headers; redirects not followed.

    source is the address the request comes from (any of 127.0.0.0/8)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=30, source_address=(source, 0)
    )
    connection.request(
        "GET", path, headers={"X-Forwarded-Proto": "https", **(headers or {})}
    )
    response = connection.getresponse()
    result = response.status, dict(response.headers), response.read().decode()
    connection.close()
    return result


@pytest.fixture(scope="module")
def collected_static():
    env = production_env()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )


def start_gunicorn(database_url, **env):
    """gunicorn as the image starts it (its config file), on a free port.

    Its log goes to a temporary file, not a pipe: a pipe nobody reads fills
    up with the tracebacks of a database outage, and the workers then block
    writing to it.
    """
    port = free_port()
    # Open for as long as gunicorn runs, so no context manager.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    env = production_env(
        DJANGO_ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=database_url, **env
    )
    process = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi",
            "--config",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    # The port opens before the workers have imported Django: wait until
    # /healthz answers at all (200, or 503 without a database).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            fetch(base, "/healthz")
            return process, base
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode()) from None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def database_of_the_tests():
    """The test database, so rows a test commits are seen.

    Not DATABASE_URL's own database: that one need not exist."""
    return database_url(connection.settings_dict)


@pytest.fixture(scope="module")
def server(collected_static, django_db_setup, django_db_blocker):
    """gunicorn on the test database, with the image's default proxy."""
    process, base = start_gunicorn(database_of_the_tests())
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server_behind_proxy(collected_static, django_db_setup, django_db_blocker):
    """gunicorn told that its proxy is 127.0.0.2, as FORWARDED_ALLOW_IPS says."""
    process, base = start_gunicorn(
        database_of_the_tests(), FORWARDED_ALLOW_IPS=PROXY_ADDRESS
    )
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server_without_database(collected_static):
    process, base = start_gunicorn("postgres://postgres@127.0.0.1:1/renkei")
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_healthz_is_ok(server):
    status, _headers, body = fetch(server, "/healthz")
    assert (status, body) == (200, "ok\n")


def test_landing_page_is_served_with_security_headers(server):
    status, headers, body = fetch(server, "/")
    assert status == 200
    assert "特別区全国連携プロジェクト" in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_static_files_are_served_by_whitenoise(server):
    _status, _headers, body = fetch(server, "/")
    start = body.index('href="/static/css/site.') + len('href="')
    path = body[start : body.index('"', start)]
    status, headers, _css = fetch(server, path)
    assert status == 200
    assert "max-age=315360000" in headers["Cache-Control"]


def test_plain_http_is_redirected_to_https(server):
    status, headers, _body = fetch(server, "/", headers={"X-Forwarded-Proto": "http"})
    assert status == 301
    assert headers["Location"].startswith("https://")


@pytest.fixture(scope="module")
def server_with_a_slow_page(collected_static, django_db_setup):
    """gunicorn whose statements may run one second, with a page that needs three."""
    process, base = start_gunicorn(
        database_of_the_tests(),
        DJANGO_SETTINGS_MODULE="tests.slow_site.settings",
        RENKEI_STATEMENT_TIMEOUT="1",
    )
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_a_request_over_the_statement_timeout_gets_the_maintenance_page(
    server_with_a_slow_page,
):
    status, _headers, body = fetch(server_with_a_slow_page, "/slow/3/")
    assert status == 503
    assert "メンテナンス中" in body


def test_a_request_within_the_statement_timeout_finishes(server_with_a_slow_page):
    status, _headers, body = fetch(server_with_a_slow_page, "/slow/0/")
    assert (status, body) == (200, "finished\n")


# ----- who may say that a request came over HTTPS -----


def test_the_proxy_may_say_that_a_request_came_over_https(server_behind_proxy):
    status, headers, _body = fetch(server_behind_proxy, "/", source=PROXY_ADDRESS)
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_client_reaching_gunicorn_directly_cannot_claim_https(server_behind_proxy):
    status, headers, _body = fetch(server_behind_proxy, "/", source="127.0.0.1")
    assert status == 301
    assert headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in headers


def test_only_this_host_is_trusted_unless_the_proxy_is_configured(server):
    status, _headers, _body = fetch(server, "/", source=PROXY_ADDRESS)
    assert status == 301


def test_the_image_starts_gunicorn_with_the_tested_config():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    command = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert command == (
        'CMD ["gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py"]'
    )


def test_healthz_answers_503_without_the_database(server_without_database):
    status, _headers, _body = fetch(server_without_database, "/healthz")
    assert status == 503


def test_pages_show_the_maintenance_page_without_the_database(server_without_database):
    # A signed-in visitor: the session must be read from the database.
    cookie = {"Cookie": "sessionid=" + "a" * 32}
    status, _headers, body = fetch(server_without_database, "/accounts/2fa/", cookie)
    assert status == 503
    assert "メンテナンス中" in body
    assert "Traceback" not in body


# ----- security headers on signed-in pages -----


def _session_cookie(user, django_settings):
    """A session cookie gunicorn accepts: signed with the production key."""
    from django.test import Client

    django_settings.SECRET_KEY = production_env()["DJANGO_SECRET_KEY"]
    client = Client()
    client.force_login(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}


def assert_security_headers(headers):
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in headers["Content-Security-Policy"].split(";")
        if " " in directive.strip()
    )
    assert "'self'" in csp["script-src"]
    assert "unsafe-inline" not in csp["script-src"]
    assert "unsafe-eval" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db(transaction=True)
def test_member_pages_are_served_with_security_headers(server, member, settings):
    cookie = _session_cookie(member, settings)
    status, headers, body = fetch(server, "/boards/", cookie)
    assert status == 200
    assert "ログアウト" in body
    assert_security_headers(headers)


@pytest.mark.django_db(transaction=True)
def test_admin_pages_are_served_with_security_headers(server, office_staff, settings):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=office_staff, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    cookie = _session_cookie(office_staff, settings)
    status, headers, _body = fetch(server, "/admin/", cookie)
    assert status == 200
    assert_security_headers(headers)


@pytest.mark.django_db(transaction=True)
def test_error_pages_are_served_with_security_headers(server, member, settings):
    cookie = _session_cookie(member, settings)
    status, headers, body = fetch(server, "/no-such-page/", cookie)
    assert status == 404
    assert "Traceback" not in body
    assert_security_headers(headers)
