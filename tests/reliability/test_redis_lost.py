"""Redis goes away and comes back.

A real redis-server, started and stopped here, holds the signed-in accounts
(the "pages" alias, config/cache.py) as in production; the sign-in limits
are in PostgreSQL. While Redis is down, members sign in, read and post as
before, only without the cache; when it is back on the same port, the cache
is used again without a restart. In CI the test must run: a missing
redis-server fails it there instead of skipping it.
"""

import logging
import os

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from bench.cluster import REDIS_SERVER, Redis
from boards.models import Post
from config import cache as site_cache
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_server(tmp_path):
    if REDIS_SERVER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; CI must run the Redis tests")
        pytest.skip("redis-server is not installed")
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_caches(settings, redis_server):
    """The production caches with REDIS_URL pointing at the test's server,
    trying Redis again on every call after a failure."""
    configured = site_cache.caches(redis_url=redis_server.url, page_entries=100)
    configured["pages"]["OPTIONS"]["RETRY_SECONDS"] = 0
    settings.CACHES = configured
    call_command("createcachetable", verbosity=0)
    return configured


@pytest.fixture
def thread(make_thread, other_member):
    return make_thread(author=other_member, title="防災訓練の合同開催について")


def sign_in(member):
    client = Client(raise_request_exception=False)
    response = client.post(
        "/accounts/login/", {"login": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
    return client


def read_and_reply(client, thread, body):
    """Three views of the thread page, then a reply; the responses of the
    views."""
    url = reverse("boards:thread", args=[thread.pk]) + "?page=1"
    views = [client.get(url) for _visit in range(3)]
    assert [view.status_code for view in views] == [200, 200, 200]
    response = client.post(reverse("boards:reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 302
    assert thread.posts.filter(body=body).exists()
    return views


def test_the_site_works_without_redis_and_uses_it_again_when_back(
    redis_caches, redis_server, member, thread, caplog
):
    read_and_reply(sign_in(member), thread, "Redis が動いている間の返信")
    assert redis_server.keys() > 0

    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        read_and_reply(sign_in(member), thread, "Redis が止まっている間の返信")
    lost = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(lost) == 1

    redis_server.start()
    assert redis_server.keys() == 0
    read_and_reply(sign_in(member), thread, "Redis が戻ってからの返信")
    assert redis_server.keys() > 0
    assert Post.objects.filter(thread=thread).count() == 4


def test_a_lost_redis_is_left_alone_for_a_while(
    redis_caches, redis_server, monkeypatch
):
    now = [1000.0]
    monkeypatch.setattr(site_cache, "monotonic", lambda: now[0])
    pages = caches["pages"]
    pages._retry_seconds = 5
    redis_server.stop()
    pages.set("key", "dropped")
    redis_server.start()

    pages.set("key", "still dropped")
    assert pages.get("key") is None
    assert redis_server.keys() == 0

    now[0] += 5
    pages.set("key", "kept")
    assert pages.get("key") == "kept"
