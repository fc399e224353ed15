"""Issue 14, finding 8: what a member saw is not left behind on a shared PC.

Pages for signed-in people are not stored by the browser, attachments are
asked for again each time (a 304 keeps that cheap), and signing out clears
what the site stored in the browser (drafts). The browser side is in
tests/browser/test_board_flow.py.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from boards.attachments import prepare_upload
from boards.models import Attachment, Category, Thread
from boards.services import posts

pytestmark = pytest.mark.django_db


def cache_control(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


# ----- pages -----


def test_member_pages_are_not_stored_by_the_browser(member_client):
    response = member_client.get(reverse("boards:home"))
    assert response.status_code == 200
    assert "no-store" in cache_control(response)


def test_the_error_page_of_a_signed_in_member_is_not_stored(member_client):
    response = member_client.get("/boards/no-such-page/")
    assert response.status_code == 404
    assert "no-store" in cache_control(response)


def test_the_public_landing_page_may_still_be_cached(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")


# ----- attachments -----


@pytest.fixture
def attachment(member):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 80, 140)).save(buffer, "PNG")
    upload = SimpleUploadedFile("会場.png", buffer.getvalue(), content_type="image/png")
    thread = posts.thread_create(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="会場のご案内",
        body="写真を添付します。",
        uploads=[prepare_upload(upload)],
    )
    return Attachment.objects.get(post__thread=thread)


def let_go(response):
    """Read a file response to the end, which closes its file.

    Not response.close(): that would end the request, and with it the
    test's database connection."""
    b"".join(response.streaming_content)


def attachment_urls(attachment):
    return [
        reverse(
            "boards:attachment_download",
            args=[attachment.pk, attachment.original_name],
        ),
        reverse("boards:attachment_thumbnail", args=[attachment.pk]),
    ]


def test_attachments_are_kept_only_until_asked_for_again(member_client, attachment):
    for url in attachment_urls(attachment):
        response = member_client.get(url)
        assert response.status_code == 200
        assert cache_control(response) == {"private", "no-cache"}
        assert response.has_header("ETag")
        assert response.has_header("Last-Modified")
        let_go(response)


def test_an_attachment_the_browser_has_is_confirmed_without_sending_it(
    member_client, attachment
):
    for url in attachment_urls(attachment):
        first = member_client.get(url)
        let_go(first)
        again = member_client.get(url, headers={"if-none-match": first["ETag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == first["ETag"]
        assert cache_control(again) == {"private", "no-cache"}


def test_an_attachment_not_changed_since_is_confirmed_by_date(
    member_client, attachment
):
    url = attachment_urls(attachment)[0]
    first = member_client.get(url)
    let_go(first)
    again = member_client.get(
        url, headers={"if-modified-since": first["Last-Modified"]}
    )
    assert again.status_code == 304


def test_a_kept_attachment_of_a_hidden_thread_is_not_confirmed(
    client, other_member, attachment
):
    client.force_login(other_member)
    urls = attachment_urls(attachment)
    tags = []
    for url in urls:
        response = client.get(url)
        tags.append(response["ETag"])
        let_go(response)
    Thread.objects.filter(pk=attachment.post.thread_id).update(is_hidden=True)
    for url, tag in zip(urls, tags, strict=True):
        assert client.get(url, headers={"if-none-match": tag}).status_code == 404


# ----- signing out -----


def test_signing_out_clears_what_the_site_stored_in_the_browser(member_client):
    response = member_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'
    assert "_auth_user_id" not in member_client.session


def test_the_sign_out_page_itself_clears_nothing(member_client):
    response = member_client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert not response.has_header("Clear-Site-Data")
