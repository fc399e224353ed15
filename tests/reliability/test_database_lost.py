"""The database goes away in the middle of a request.

A member starts a thread with an attachment; while the view writes, the
server ends its connection (pg_terminate_backend from a second connection,
as when PostgreSQL restarts or fails over). The member gets the Japanese
maintenance page, and nothing of the thread is left: no row, no file.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from boards.models import Attachment, Post, Thread
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def png():
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(output, "PNG")
    return SimpleUploadedFile("会場図.png", output.getvalue(), "image/png")


class KillAfterInsert:
    """execute_wrapper: ends this connection's backend once `table` got a row."""

    def __init__(self, table):
        self.table = table
        self.killed = False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.killed and sql.startswith(f'INSERT INTO "{self.table}"'):
            self.killed = True
            pid = context["connection"].connection.info.backend_pid
            other = connection.get_new_connection(connection.get_connection_params())
            other.autocommit = True
            with other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
        return result


@pytest.fixture
def member_client(committed, client):
    client.force_login(factories.make_user(email="member@example.jp"))
    client.raise_request_exception = False
    yield client
    # The test's own connection died with the request's; open a new one.
    connection.close()


@pytest.mark.parametrize("table", ["boards_thread", "boards_post", "boards_attachment"])
def test_losing_the_database_mid_post_shows_503_and_leaves_nothing(
    member_client, table, settings
):
    killer = KillAfterInsert(table)
    with connection.execute_wrapper(killer):
        response = member_client.post(
            reverse("boards:thread_create", args=["other"]),
            {
                "title": "会場の配置について",
                "body": "図を添付します。",
                "attachments": png(),
            },
        )
    assert killer.killed
    assert response.status_code == 503
    assert "メンテナンス中" in response.content.decode()
    connection.close()
    assert (Thread.objects.count(), Post.objects.count()) == (0, 0)
    assert Attachment.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
