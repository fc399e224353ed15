"""gunicorn with production settings on loopback, for throughput runs.

    with serve(database_url) as base_url:
        ...  # e.g. wrk or locust against f"{base_url}/boards/"

The server runs bench.settings: the production settings plus /bench/floor
(bench/urls.py). Production sends plain HTTP to HTTPS and marks the session
cookie Secure, so clients send "X-Forwarded-Proto: https", as the reverse
proxy in front of gunicorn would; HTTPS redirects are off all the same so
that a client that forgets gets pages, not 301s. login() signs in and
returns the Cookie header for the client to send.
"""

import contextlib
import fcntl
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
STATIC_ROOT = BASE_DIR / "staticfiles"
MANIFEST = STATIC_ROOT / "staticfiles.json"
SITE_URL = "https://127.0.0.1"


def request(base_url, method, path, *, headers=None, body=None):
    """One request as the HTTPS-terminating proxy would pass it on.

    Returns (status, headers as a list of pairs, body as text).
    """
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(
            method,
            path,
            body=body,
            headers={"X-Forwarded-Proto": "https", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def post_form(base_url, path, fields, *, cookie):
    """POST a form as a browser behind the proxy sends it: the Cookie
    header as given, Origin and Referer of the site, and the CSRF token of
    the csrftoken cookie unless the fields carry the form's own."""
    if "csrfmiddlewaretoken" not in fields:
        token = re.search(r"csrftoken=([^;]+)", cookie)[1]
        fields = {**fields, "csrfmiddlewaretoken": token}
    origin = "https://" + base_url.removeprefix("http://")
    return request(
        base_url,
        "POST",
        path,
        body=urllib.parse.urlencode(fields),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Origin": origin,
            "Referer": origin + path,
        },
    )


def _cookies(headers):
    return {
        value.split("=", 1)[0]: value.split(";", 1)[0].split("=", 1)[1]
        for name, value in headers
        if name.lower() == "set-cookie"
    }


def login(base_url, email, password):
    """Sign in through allauth's form; return the Cookie header to send.

    The cookies are Secure, so an HTTP client keeping a cookie jar would not
    send them back over plain HTTP: pass this header by hand instead, with
    "X-Forwarded-Proto: https".
    """
    path = "/accounts/login/"
    _status, headers, page = request(base_url, "GET", path)
    cookies = _cookies(headers)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None or "csrftoken" not in cookies:
        raise RuntimeError("the sign-in page has no CSRF token")
    status, headers, _page = post_form(
        base_url,
        path,
        {"csrfmiddlewaretoken": match[1], "login": email, "password": password},
        cookie=f"csrftoken={cookies['csrftoken']}",
    )
    cookies.update(_cookies(headers))
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"signing in as {email} failed (HTTP {status})")
    return f"csrftoken={cookies['csrftoken']}; sessionid={cookies['sessionid']}"


def production_env(database_url, settings="bench.settings", **overrides):
    """The environment of a production deployment on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RENKEI_", "REDIS_"))
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_CSRF_TRUSTED_ORIGINS=SITE_URL,
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        RENKEI_SITE_URL=SITE_URL,
        RENKEI_REQUIRE_STAFF_MFA="0",
    )
    if "REDIS_URL" in os.environ:
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(overrides)
    return env


def static_is_stale():
    if not MANIFEST.exists():
        return True
    built = MANIFEST.stat().st_mtime
    return any(
        path.stat().st_mtime > built
        for path in (BASE_DIR / "static").rglob("*")
        if path.is_file()
    )


def collect_static(env):
    """Run collectstatic once, even when several benchmarks start together."""
    STATIC_ROOT.mkdir(exist_ok=True)
    with open(STATIC_ROOT.parent / "var" / ".collectstatic.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if static_is_stale():
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                cwd=BASE_DIR,
                env=env,
                check=True,
                timeout=300,
            )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
        connection.close()
    except OSError:
        return False
    return status == 200


@contextlib.contextmanager
def serve(
    database_url,
    *,
    port=None,
    workers=2,
    settings="bench.settings",
    expose_process=False,
    **overrides,
):
    """Run gunicorn on 127.0.0.1 until the block ends; yield its base URL
    (and with expose_process, the gunicorn master's Popen as well).

    `overrides` are environment variables, e.g. REDIS_URL.
    """
    env = production_env(database_url, settings, **overrides)
    (BASE_DIR / "var").mkdir(exist_ok=True)
    collect_static(env)
    port = port or free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                GUNICORN,
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--error-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            _wait_until_healthy(process, port, log)
            base_url = f"http://127.0.0.1:{port}"
            yield (base_url, process) if expose_process else base_url
        finally:
            _stop(process)


def _wait_until_healthy(process, port, log):
    deadline = time.monotonic() + 60
    while not healthy(port):
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError("gunicorn exited:\n" + log.read().decode())
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer /healthz within 60 s")
        time.sleep(0.2)


def _stop(process):
    """SIGTERM to gunicorn's whole process group; SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
