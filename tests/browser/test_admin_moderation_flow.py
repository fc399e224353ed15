"""A ward moderator at work in admin: a reported post hidden, a thread split."""

import os
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from boards.models import ModerationLog, Post, Report, Thread
from boards.services import moderation
from tests import factories
from tests.browser.actions import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Screenshots for a person to look at, when asked for.
SHOTS = os.environ.get("RENKEI_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def mailed(subject):
    """Who got mail with subject in its subject line."""
    return sorted(
        address
        for message in mail.outbox
        if subject in message.subject
        for address in message.to
    )


def test_a_ward_moderator_hides_a_reported_post_and_splits_a_thread(
    page, live_server, settings, ward_staff, office_staff, member, other_member
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    thread = factories.make_thread(author=member, title="物産展の出展者募集")
    factories.make_reply(thread=thread, author=member, body="出展料は無料です。")
    reported = factories.make_reply(
        thread=thread, author=other_member, body="090-1234-5678 に電話をください。"
    )
    factories.make_reply(thread=thread, author=member, body="駐車場について")
    factories.make_reply(thread=thread, author=other_member, body="駐車場は二か所")
    mail.outbox.clear()
    moderation.report_create(
        post=reported, reporter=member, reason="個人の電話番号が書かれています。"
    )
    # The report reached the moderators by mail.
    assert mailed("投稿が通報されました") == sorted(
        [ward_staff.email, office_staff.email]
    )

    sign_in(page, url, ward_staff)
    page.goto(url + "/admin/")
    shot(page, "admin-start-page")
    start = page.get_by_role("region", name="対応待ち")
    start.get_by_role("link", name="対応待ちの通報").click()
    page.get_by_role("link", name=re.compile("電話をください")).click()
    expect(page.locator(".reported-post__body")).to_contain_text("090-1234-5678")
    shot(page, "admin-report")

    # Hide the reported post and close the report, telling both people.
    page.get_by_role("link", name="対応済みにする（投稿を非表示）").click()
    page.get_by_label("理由").fill("個人の電話番号のため非表示にしました。")
    page.get_by_label("投稿者にメールで知らせる").check()
    expect(page.get_by_label("通報者にメールで知らせる")).to_be_checked()
    page.get_by_role("button", name="対応済みにする（投稿を非表示）").click()
    expect(page.locator(".messagelist")).to_contain_text("1件の通報を対応済みにし")
    assert Report.objects.get().status == Report.Status.RESOLVED
    assert Post.objects.get(pk=reported.pk).is_hidden
    # The reporter hears the outcome, the author what was done and why.
    assert mailed("通報への対応が終わりました") == [member.email]
    assert mailed("掲示板の管理者からのお知らせ") == [other_member.email]
    mail.outbox.clear()

    # Split the thread entirely: every reply from number 1 on.
    page.goto(url + f"/admin/boards/thread/{thread.pk}/change/")
    page.get_by_role("link", name="返信を新しいスレッドに分割する").click()
    page.get_by_label("新しいスレッドの件名").fill("駐車場と出展料の質問")
    page.get_by_label("または、この番号以降の返信すべて").fill("1")
    page.get_by_label("理由").fill("出展者募集と別の話題のため。")
    page.get_by_label("投稿者にメールで知らせる").check()
    shot(page, "admin-split")
    page.get_by_role("button", name="返信を新しいスレッドに分割する").click()
    expect(page.locator(".messagelist")).to_contain_text("新しいスレッド")
    new = Thread.objects.get(title="駐車場と出展料の質問")
    assert new.posts.count() == 4
    assert Thread.objects.get(pk=thread.pk).posts.count() == 1
    assert mailed("掲示板の管理者からのお知らせ") == sorted(
        [member.email, other_member.email]
    )

    # Every step is in the log with its reason.
    assert list(
        ModerationLog.objects.order_by("pk").values_list("action", "reason")
    ) == [
        ("hide_post", "個人の電話番号のため非表示にしました。"),
        ("resolve_report", "個人の電話番号のため非表示にしました。"),
        ("split", "出展者募集と別の話題のため。"),
    ]
