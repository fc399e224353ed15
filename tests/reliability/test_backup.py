"""Backup and restore round trip (config.backup_check, docs/operations.md)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from boards.models import Attachment
from config import backup_check
from tests import factories

from .conftest import database_url, site_environment
from .test_database_lost import png

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(committed, client):
    """Two threads with an attachment each, and a reply."""
    member = factories.make_user(email="member@example.jp")
    client.force_login(member)
    for title in ("会場図の共有", "写真の共有"):
        client.post(
            reverse("boards:thread_create", args=["other"]),
            {"title": title, "body": f"{title}です。", "attachments": png()},
        )
    thread = factories.make_thread(author=member, category="other")
    factories.make_reply(thread=thread, author=member, body="追記です。")
    assert Attachment.objects.count() == 2


def test_the_restored_site_has_every_post_and_attachment(site, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "config.backup_check",
            "--media",
            str(settings.MEDIA_ROOT),
            "--work",
            str(tmp_path / "work"),
        ],
        cwd=settings.BASE_DIR,
        env=site_environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Restored 4 posts and 2 attachments; 0 problem(s)." in result.stdout


def test_a_damaged_restored_file_is_reported(site, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    url = database_url()
    tools = backup_check.client_tools(url)
    dump, media_copy = backup_check.backup(url, Path(settings.MEDIA_ROOT), work, tools)
    restored_url, restored_media = backup_check.restore(
        url, dump, media_copy, work, tools
    )
    damaged = Attachment.objects.first()
    (restored_media / damaged.file.name).write_bytes(b"damaged")
    problems, _posts, _attachments = backup_check.compare(
        url, settings.MEDIA_ROOT, restored_url, restored_media
    )
    backup_check.drop_restored(url)
    assert problems == [f"attachment {damaged.pk}: file missing or different"]
