import pytest
from pytest_django.plugin import blocking_manager_key

from members import permissions
from tests import factories
from tests.migration_rows import commits, make_migration_rows


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # collectstatic has not run; serve static files without the manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    # Tasks run at once, inside the test.
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    # Caches of their own per test, so rate-limit counters start from zero
    # and no account is read from another test's cache (config/cache.py).
    settings.CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"{alias}:{request.node.nodeid}",
        }
        for alias in ("default", "pages")
    }
    # The pages are in memory, as in Redis in production: keep accounts there.
    settings.RENKEI_ACCOUNT_CACHE_SECONDS = 600


@pytest.fixture
def uncached(settings):
    """Accounts read afresh on every request, as without Redis.

    Query counts compared before and after adding rows must not compare a
    request whose account came from the cache with one that read it.
    """
    settings.RENKEI_ACCOUNT_CACHE_SECONDS = 0


@pytest.fixture
def make_user(db):
    return factories.make_user


@pytest.fixture
def make_organisation(db):
    return factories.make_organisation


@pytest.fixture
def make_thread(db):
    return factories.make_thread


@pytest.fixture
def make_reply(db):
    return factories.make_reply


@pytest.fixture
def member(db):
    return factories.make_user(email="member@example.jp")


@pytest.fixture
def other_member(db):
    return factories.make_user(email="other@example.jp", display_name="金沢 次郎")


@pytest.fixture
def ward_staff(db):
    return factories.make_user(
        email="ward@example.jp", role=permissions.WARD_STAFF, department="地域振興課"
    )


@pytest.fixture
def office_staff(db):
    organisation = factories.make_organisation(
        name="公益財団法人特別区協議会", kind="body"
    )
    return factories.make_user(
        email="office@example.jp",
        organisation=organisation,
        role=permissions.OFFICE_STAFF,
    )


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a committing test's flush, the data migrations' rows again.

    pytest-django runs such tests after the others, but tests in a random
    order (and tests that reach the database through module-wide fixtures)
    may follow one: they must find the categories and work types.
    """
    result = yield
    # After the last test the test database is gone: nothing to make.
    if commits(item) and nextitem is not None:
        with item.config.stash[blocking_manager_key].unblock():
            make_migration_rows()
    return result
