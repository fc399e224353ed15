"""Two app nodes behind HAProxy share everything that is state.

bench.cluster starts them as separate machines would run them (production
settings, a media and temp directory each), with a redis-server of their
own for the account cache and HAProxy health-checking /healthz. In CI the test
must run: a missing haproxy or redis-server fails it there instead of
skipping it.
"""

import os
import tempfile

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.utils.crypto import get_random_string

from bench.cluster import HAPROXY, REDIS_SERVER, Cluster
from bench.members import CSRF_FIELD, session, sign_in
from config import node_checks
from tests.factories import PASSWORD
from tests.migration_rows import make_migration_rows
from tests.reliability.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def forget_identity():
    """The nodes record their key's fingerprint in a table no flush empties."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {node_checks.TABLE}")


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    missing = [
        name
        for name, path in (("haproxy", HAPROXY), ("redis-server", REDIS_SERVER))
        if path is None
    ]
    if missing:
        reason = f"{', '.join(missing)} not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the several-node tests")
        pytest.skip(reason)
    with django_db_blocker.unblock():
        forget_identity()
        # The sign-in limits' table (the "default" cache), as the release
        # step makes it.
        call_command("createcachetable", verbosity=0)
        url = database_url()
    with (
        tempfile.TemporaryDirectory(prefix="renkei-nodes-") as workdir,
        Cluster(url, workdir=workdir, nodes=2, workers=1, with_worker=False) as run,
    ):
        yield run
    with django_db_blocker.unblock():
        forget_identity()


@pytest.fixture
def committed(transactional_db):
    """Rows the nodes see: committed, with the data migrations' rows."""
    make_migration_rows()


@pytest.fixture
def thread(committed, make_thread, other_member):
    return make_thread(author=other_member, title="防災訓練の合同開催について")


# Both proxies' addresses (TLS proxy, HAProxy) when a node is asked directly;
# through HAProxy, the one the TLS proxy would have added.
DIRECT = "10.1.2.3, 127.0.0.1"
THROUGH_HAPROXY = "10.1.2.3"


def signed_in(base_url, member, address=DIRECT):
    # The tests' fast hasher is not one production settings accept.
    member.password = PBKDF2PasswordHasher().encode(PASSWORD, get_random_string(12))
    member.save(update_fields=["password"])
    client = session(base_url, address)
    assert sign_in(client, member.email, PASSWORD)
    return client


def on(client, base_url):
    """The same browser (cookies) sent to another node."""
    other = session(base_url, DIRECT)
    other.cookies.update(client.cookies)
    return other


def reply(client, thread, body):
    path = f"/boards/t/{thread.pk}/"
    page = client.get(client.base + path, params={"page": 9999}, timeout=30)
    csrf = CSRF_FIELD.search(page.text)[1]
    return client.post(
        client.base + path + "reply/",
        data={"body": body, "csrfmiddlewaretoken": csrf},
        headers={"Origin": client.origin, "Referer": client.origin + path},
        allow_redirects=False,
        timeout=30,
    )


def test_a_session_made_on_one_node_is_valid_on_the_other(cluster, committed, member):
    node_a, node_b = cluster.nodes
    client = signed_in(node_a.base_url, member)
    response = on(client, node_b.base_url).get(node_b.base_url + "/boards/")
    assert response.status_code == 200
    assert response.url.endswith("/boards/")


def test_a_reply_through_one_node_is_seen_at_once_through_the_other(
    cluster, thread, member
):
    node_a, node_b = cluster.nodes
    writer = signed_in(node_a.base_url, member)
    reader = on(writer, node_b.base_url)
    url = node_b.base_url + f"/boards/t/{thread.pk}/"
    assert reader.get(url).status_code == 200
    assert reader.get(url).status_code == 200
    # The reader's account is now kept in the shared Redis.
    assert cluster.redis.keys() > 0

    response = reply(writer, thread, "ノードAから書いた返信です。")
    assert response.status_code == 302

    assert "ノードAから書いた返信です。" in reader.get(url).text


def test_the_load_balancer_sends_members_past_a_dead_node(cluster, committed, member):
    node_a, _node_b = cluster.nodes
    client = signed_in(cluster.base_url, member, THROUGH_HAPROXY)
    node_a.kill()
    try:
        cluster.balancer.wait_status(node_a.name, "DOWN")
        statuses = [
            client.get(cluster.base_url + "/boards/", timeout=30).status_code
            for _ in range(6)
        ]
    finally:
        node_a.start()
        cluster.balancer.wait_status(node_a.name, "UP")
    assert statuses == [200] * 6
