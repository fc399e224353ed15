"""Issue 14: however much is cached, sign-in limits stay.

The caches here are the production ones without Redis (PostgreSQL tables),
as a fresh process evaluates them, with every table capped at a few
entries: more signed-in accounts than fit in the "pages" cache must push
out only accounts, never the failed-login counters that lock an address.
"""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from members.backends import AuthenticationBackend
from tests.factories import PASSWORD, make_user
from tests.test_settings import production_env, run_python

from .test_sessions import LOCKED_OUT

pytestmark = pytest.mark.django_db

CAP = 40


@pytest.fixture
def database_caches(settings):
    """The production caches without Redis, each table capped at CAP."""
    result = run_python(
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CACHES))",
        production_env(),
    )
    configured = json.loads(result.stdout)
    for params in configured.values():
        assert params["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
        params["OPTIONS"] = {**params.get("OPTIONS", {}), "MAX_ENTRIES": CAP}
    settings.CACHES = configured
    call_command("createcachetable", verbosity=0)
    return configured


def account_entries(configured):
    """How many accounts the cache tables hold now."""
    with connection.cursor() as cursor:
        total = 0
        for params in configured.values():
            table = connection.ops.quote_name(params["LOCATION"])
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE cache_key LIKE %s",  # noqa: S608
                ["%:account:%"],
            )
            total += cursor.fetchone()[0]
    return total


def login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_filling_the_account_cache_keeps_the_failed_login_lockout(
    database_caches, member, settings
):
    settings.RENKEI_ACCOUNT_CACHE_SECONDS = 600
    attacker = Client()
    for _attempt in range(5):
        login(attacker, member.email, "wrong-password")

    backend = AuthenticationBackend()
    for _number in range(2 * CAP + 1):
        assert backend.get_user(make_user().pk) is not None
    assert account_entries(database_caches) >= CAP // 2

    response = login(attacker, member.email, PASSWORD)
    assert "_auth_user_id" not in attacker.session
    assert LOCKED_OUT in response.content.decode()
