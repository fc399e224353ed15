"""The disk under MEDIA_ROOT is full while a member posts with a file.

Storage writes the upload, then fails writing its thumbnail with ENOSPC.
The member sees the form again with a Japanese message and the text they
typed; no thread, post, attachment or file is left behind.
"""

import errno
import io
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from boards.models import Attachment, Post, PostRevision, Thread
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = "添付ファイルを保存できませんでした"


def png():
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(output, "PNG")
    return SimpleUploadedFile("会場図.png", output.getvalue(), "image/png")


@pytest.fixture
def disk_full(monkeypatch):
    """The first file is written; every write after it fails with ENOSPC."""
    save = FileSystemStorage._save
    written = []

    def full(storage, name, content):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(name)
        return save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    return written


@pytest.fixture
def member(committed):
    return factories.make_user(email="member@example.jp")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    client.raise_request_exception = False
    return client


@pytest.fixture
def thread(member):
    return factories.make_thread(author=member)


def assert_nothing_stored(settings, posts):
    assert Post.objects.count() == posts
    assert Attachment.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def assert_form_with_message(response, text):
    assert response.status_code == 200
    page = response.content.decode()
    assert MESSAGE in page
    assert text in page


def test_a_new_thread_on_a_full_disk_shows_the_form_and_saves_nothing(
    member_client, disk_full, settings
):
    response = member_client.post(
        reverse("boards:thread_create", args=["other"]),
        {
            "title": "会場の配置について",
            "body": "図を添付します。",
            "attachments": png(),
        },
    )
    assert disk_full  # the upload was written before the disk filled up
    assert_form_with_message(response, "図を添付します。")
    assert Thread.objects.count() == 0
    assert_nothing_stored(settings, posts=0)


def test_a_reply_on_a_full_disk_shows_the_form_and_saves_nothing(
    member_client, thread, disk_full, settings
):
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]),
        {"body": "配置図です。", "attachments": png()},
    )
    assert disk_full
    assert_form_with_message(response, "配置図です。")
    thread.refresh_from_db()
    assert (thread.reply_count, thread.last_position) == (0, 0)
    assert_nothing_stored(settings, posts=1)


def test_an_edit_on_a_full_disk_shows_the_form_and_changes_nothing(
    member_client, thread, disk_full, settings
):
    post = thread.posts.get()
    response = member_client.post(
        reverse("boards:post_edit", args=[post.pk]),
        {"title": thread.title, "body": "図を追加しました。", "attachments": png()},
    )
    assert disk_full
    assert_form_with_message(response, "図を追加しました。")
    post.refresh_from_db()
    assert (post.body, post.edited_at) == ("本文", None)
    assert PostRevision.objects.count() == 0
    assert_nothing_stored(settings, posts=1)
