"""Test-only environment, loaded before Django reads its settings.

pytest loads this module first (``-p tests.environment`` in pyproject.toml),
because pytest-django imports the settings before any conftest.py runs.
"""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-only-secret-key-never-used-in-production"
)
os.environ.setdefault("RENKEI_SITE_URL", "http://testserver")
# Tests talk plain HTTP to the test client and the live server.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Every prepared query is compared with the one its real values build
# (members/common/prepared.py).
os.environ.setdefault("RENKEI_CHECK_PREPARED_QUERIES", "1")
