"""The production command line: gunicorn with production settings."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.test_settings import production_env

BASE_DIR = Path(settings.BASE_DIR)
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(base, path, headers=None):
    """GET through the HTTPS-terminating proxy's headers; redirects not followed."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
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


def start_gunicorn(database_url):
    port = free_port()
    env = production_env(DJANGO_ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=database_url)
    process = subprocess.Popen(
        [GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, base
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


@pytest.fixture(scope="module")
def server(collected_static):
    process, base = start_gunicorn(os.environ["DATABASE_URL"])
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
