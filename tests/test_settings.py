"""Settings read from the environment fail loudly and pass the deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.settings import process_kind

BASE_DIR = Path(settings.BASE_DIR)


def production_env(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RENKEI_", "REDIS_"))
    }
    env.update(
        DJANGO_SECRET_KEY="a-production-like-secret-key-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="renkei.example.jp",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://renkei.example.jp",
        DJANGO_EMAIL_HOST="smtp.example.jp",
        RENKEI_SITE_URL="https://renkei.example.jp",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(code, env):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage_with_production_settings(url, *args, timeout=600):
    """Run `python <args>` against the database at url with production
    settings (DEBUG on, as the tests serve no static files); fail the test,
    with what it printed, if it fails."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(DATABASE_URL=url, DJANGO_DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stderr}")


def test_missing_secret_key_in_production_refuses_to_start():
    result = run_python(
        "import django; django.setup()", production_env(DJANGO_SECRET_KEY=None)
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = run_python(
        "import django; django.setup()",
        production_env(DJANGO_SECRET_KEY=None, DJANGO_DEBUG="1"),
    )
    assert result.returncode == 0, result.stderr


MAILER = (
    "import django; django.setup(); from django.conf import settings; "
    "m = settings.MAILERS['default']; "
    "print(m['BACKEND'], m.get('OPTIONS', {}).get('host'), "
    "m.get('OPTIONS', {}).get('port'))"
)


def test_debug_sends_mail_over_smtp_when_an_email_host_is_set():
    result = run_python(
        MAILER,
        production_env(
            DJANGO_DEBUG="1", DJANGO_EMAIL_HOST="127.0.0.1", DJANGO_EMAIL_PORT="2626"
        ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "127.0.0.1",
        "2626",
    ]


def test_debug_prints_mail_when_no_email_host_is_set():
    result = run_python(
        MAILER, production_env(DJANGO_DEBUG="1", DJANGO_EMAIL_HOST=None)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.core.mail.backends.console.EmailBackend"


def test_missing_site_url_in_production_refuses_to_start():
    result = run_python(
        "import django; django.setup()", production_env(RENKEI_SITE_URL=None)
    )
    assert result.returncode != 0
    assert "RENKEI_SITE_URL is not set" in result.stderr


def test_a_malformed_number_is_refused():
    result = run_python(
        "import django; django.setup()",
        production_env(DJANGO_TRUSTED_PROXY_COUNT="one"),
    )
    assert result.returncode != 0
    assert "DJANGO_TRUSTED_PROXY_COUNT must be a whole number" in result.stderr


def test_a_malformed_boolean_is_refused():
    result = run_python(
        "import django; django.setup()", production_env(DJANGO_DEBUG="maybe")
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_deploy_checks_pass_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


CACHE_BACKENDS = (
    "from django.conf import settings; "
    "print(*(settings.CACHES[a]['BACKEND'] for a in ('default', 'pages')))"
)


def test_production_rate_limits_are_in_the_database_with_or_without_redis():
    without_redis = run_python(CACHE_BACKENDS, production_env()).stdout.split()
    with_redis = run_python(
        CACHE_BACKENDS, production_env(REDIS_URL="redis://127.0.0.1:6379/0")
    ).stdout.split()
    database = "django.core.cache.backends.db.DatabaseCache"
    assert without_redis == [database, database]
    assert with_redis == [database, "config.cache.DroppableRedisCache"]


def test_production_pages_have_a_table_of_their_own():
    code = (
        "from django.conf import settings; c = settings.CACHES; "
        "print(c['default']['LOCATION'], c['pages']['LOCATION'], "
        "c['pages']['OPTIONS']['MAX_ENTRIES'])"
    )
    result = run_python(code, production_env(RENKEI_PAGE_CACHE_ENTRIES="500"))
    assert result.stdout.split() == ["renkei_cache", "renkei_page_cache", "500"]


def test_production_sessions_are_not_read_through_a_cache():
    code = (
        "from importlib import import_module; from django.conf import settings; "
        "from django.contrib.sessions.backends import db; "
        "store = import_module(settings.SESSION_ENGINE).SessionStore; "
        "print(issubclass(store, db.SessionStore), store.__mro__[1].__module__)"
    )
    result = run_python(code, production_env(REDIS_URL="redis://127.0.0.1:6379/0"))
    assert result.stdout.split() == ["True", "django.contrib.sessions.backends.db"]


def test_production_cookies_are_secure():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    assert run_python(code, production_env()).stdout.split() == ["True"] * 5


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["/srv/renkei/.venv/bin/gunicorn", "config.wsgi"], "web"),
        (["manage.py", "runserver", "127.0.0.1:8000"], "web"),
        (["manage.py", "db_worker"], "worker"),
        (["manage.py", "migrate"], "command"),
        (["/usr/bin/pytest"], "command"),
        ([], "command"),
    ],
)
def test_the_process_kind_follows_the_command_line(monkeypatch, argv, kind):
    monkeypatch.delenv("RENKEI_PROCESS", raising=False)
    assert process_kind(argv) == kind


def test_web_processes_get_the_short_statement_timeout():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS'].get('options'))",
        production_env(RENKEI_PROCESS="web"),
    )
    assert result.stdout.strip() == "-c statement_timeout=5s", result.stderr


def test_the_worker_gets_a_longer_statement_timeout():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS'].get('options'))",
        production_env(RENKEI_PROCESS="worker"),
    )
    assert result.stdout.strip() == "-c statement_timeout=300s", result.stderr


def test_commands_have_no_statement_timeout_unless_set():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS'].get('options'))"
    )
    unset = run_python(code, production_env(RENKEI_PROCESS="command"))
    chosen = run_python(
        code,
        production_env(RENKEI_PROCESS="command", RENKEI_COMMAND_STATEMENT_TIMEOUT="60"),
    )
    assert (unset.stdout.strip(), chosen.stdout.strip()) == (
        "None",
        "-c statement_timeout=60s",
    )
