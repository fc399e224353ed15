"""Pages seen again come from the cache, and never show less than is there."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from boards.models import Notification, NotificationKind, Thread
from boards.services import moderation
from members import permissions
from members.models import Organisation
from tests import factories


@pytest.fixture(autouse=True, params=[600, 0], ids=["account-cached", "account-read"])
def account_cache(request, settings):
    """Every test with the account kept in the cache (Redis) and read with
    the sums on each request (the cache in a PostgreSQL table)."""
    settings.RENKEI_ACCOUNT_CACHE_SECONDS = request.param
    return request.param


def from_cache(response):
    """A cached page is sent as it was: no view ran, so no template context."""
    return response.status_code == 200 and response.context is None


def seen_again(client, url):
    """The page on a third visit: the first made the CSRF cookie, the second
    stored the page."""
    client.get(url)
    client.get(url)
    return client.get(url)


@pytest.fixture
def thread(make_thread, member, other_member, make_reply):
    thread = make_thread(author=other_member, title="防災訓練の合同開催について")
    make_reply(thread=thread, author=other_member, body="最初の返信です。")
    return thread


def thread_url(thread):
    return reverse("boards:thread", args=[thread.pk]) + "?page=1"


@pytest.mark.parametrize(
    "url",
    [
        "/boards/",
        "/boards/c/proposals/",
        "/boards/search/?q=%E9%98%B2%E7%81%BD",
    ],
)
def test_a_list_page_seen_again_comes_from_the_cache(member_client, thread, url):
    first = member_client.get(url)
    again = seen_again(member_client, url)
    assert from_cache(again)
    assert again.content == member_client.get(url).content
    assert first.context is not None


def test_a_thread_page_seen_again_comes_from_the_cache(
    member_client, thread, django_assert_max_num_queries
):
    url = thread_url(thread)
    seen_again(member_client, url)
    # The account either from the cache after the change counter's sums, or
    # with them in one query; and the session read by its key (SESSION_ENGINE).
    with django_assert_max_num_queries(3 + 1):
        response = member_client.get(url)
    assert from_cache(response)
    assert "最初の返信です。" in response.content.decode()


def test_a_reply_by_someone_else_shows_at_once(
    member_client, thread, other_member, make_reply
):
    url = thread_url(thread)
    assert from_cache(seen_again(member_client, url))
    make_reply(thread=thread, author=other_member, body="二つ目の返信です。")
    response = member_client.get(url)
    assert not from_cache(response)
    assert "二つ目の返信です。" in response.content.decode()


def test_a_change_written_without_signals_shows_at_once(member_client, thread):
    url = "/boards/c/proposals/"
    assert from_cache(seen_again(member_client, url))
    Thread.objects.filter(pk=thread.pk).update(title="題名を変えました")
    assert "題名を変えました" in member_client.get(url).content.decode()


def test_a_hidden_post_disappears_at_once(member_client, thread, office_staff):
    url = thread_url(thread)
    assert from_cache(seen_again(member_client, url))
    moderation.post_hide(
        post=thread.posts.get(position=1), actor=office_staff, reason="誤投稿"
    )
    assert "最初の返信です。" not in member_client.get(url).content.decode()


def test_a_renamed_organisation_shows_its_new_name_at_once(
    member_client, thread, other_member
):
    url = thread_url(thread)
    assert from_cache(seen_again(member_client, url))
    Organisation.objects.filter(pk=other_member.organisation_id).update(
        name="新しい名前市"
    )
    assert "新しい名前市" in member_client.get(url).content.decode()


def test_a_new_notification_shows_in_the_header_at_once(member_client, member, thread):
    url = "/boards/"
    assert from_cache(seen_again(member_client, url))
    Notification.objects.create(
        user=member, kind=NotificationKind.REPLY, thread=thread, mail="off"
    )
    assert "（未読1件）" in member_client.get(url).content.decode()


def test_what_one_person_reads_leaves_the_others_pages_cached(
    member_client, thread, other_member
):
    other = Client()
    other.force_login(other_member)
    url = thread_url(thread)
    assert from_cache(seen_again(other, url))
    member_client.get(url)  # marks the thread read for the member only
    assert from_cache(other.get(url))


def test_people_never_get_each_others_pages(member_client, thread, other_member):
    other = Client()
    other.force_login(other_member)
    url = thread_url(thread)
    seen_again(member_client, url)
    page = other.get(url)
    assert other_member.display_name in page.content.decode()
    assert page.content != member_client.get(url).content


def test_a_message_is_shown_once_and_never_kept(member_client, thread):
    seen_again(member_client, thread_url(thread))
    response = member_client.post(
        reverse("boards:reply", args=[thread.pk]), {"body": "メッセージの確認です。"}
    )
    assert response.status_code == 302
    shown = member_client.get(response.url)
    assert 'class="messages"' in shown.content.decode()
    # Seen again: the page without the message, not a copy that had it.
    again = member_client.get(response.url)
    assert 'class="messages"' not in again.content.decode()
    assert "メッセージの確認です。" in again.content.decode()


def test_the_token_of_a_cached_form_is_accepted(member, thread):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    url = reverse("boards:thread", args=[thread.pk]) + "?page=1"
    page = seen_again(client, url)
    assert from_cache(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    response = client.post(
        reverse("boards:reply", args=[thread.pk]),
        {"body": "キャッシュのフォームから。", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert thread.posts.filter(body="キャッシュのフォームから。").exists()


def test_signing_out_is_not_undone_by_the_cache(member_client, thread):
    url = thread_url(thread)
    assert from_cache(seen_again(member_client, url))
    member_client.post(reverse("account_logout"))
    response = member_client.get(url)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_a_deactivated_account_is_refused_at_once(member_client, member, thread):
    url = thread_url(thread)
    assert from_cache(seen_again(member_client, url))
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    response = member_client.get(url)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_a_role_taken_away_takes_effect_at_once(client, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    client.force_login(ward_staff)
    url = reverse("admin:index")
    assert seen_again(client, url).status_code == 200
    ward_staff.groups.remove(Group.objects.get(name=permissions.WARD_STAFF))
    assert client.get(url).status_code == 302


def test_the_page_cache_can_be_turned_off(member_client, thread, settings):
    settings.RENKEI_PAGE_CACHE_SECONDS = 0
    assert not from_cache(seen_again(member_client, thread_url(thread)))


def test_a_member_of_a_suspended_organisation_is_refused_at_once(
    member_client, member, thread
):
    url = thread_url(thread)
    assert from_cache(seen_again(member_client, url))
    Organisation.objects.filter(pk=member.organisation_id).update(
        membership_status="suspended"
    )
    assert member_client.get(url).status_code == 403


def test_pages_of_other_organisations_members_are_their_own(thread):
    # Two members of different organisations, each with their own page.
    first, second = Client(), Client()
    first.force_login(factories.make_user(email="a@example.jp"))
    second.force_login(factories.make_user(email="b@example.jp"))
    url = thread_url(thread)
    seen_again(first, url)
    assert "b@example.jp" not in first.get(url).content.decode()
    assert not from_cache(second.get(url))
