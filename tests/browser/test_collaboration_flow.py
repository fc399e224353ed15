import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from boards.models import ModerationLog
from members import permissions
from tests.browser.actions import sign_in, sign_out
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chiyoda_staff():
    chiyoda = make_organisation(name="千代田区", kind="special_ward")
    return make_user(
        organisation=chiyoda,
        role=permissions.WARD_STAFF,
        email="chiyoda@example.jp",
        display_name="千代田 花子",
        department="地域振興課",
    )


def test_proposal_to_a_ward_answered_and_coordinated(
    page, live_server, member, chiyoda_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url

    # A member proposes a project to 千代田区.
    sign_in(page, url, member)
    page.goto(url + "/boards/c/proposals/new/")
    page.get_by_role("textbox", name="件名").fill("能登の物産展の共同開催")
    page.get_by_role("textbox", name="本文").fill("区役所での開催をご提案します。")
    page.get_by_role("combobox", name="連携分野").select_option(label="観光")
    page.get_by_role("checkbox", name="千代田区").check()
    page.get_by_role("button", name="スレッドを投稿する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("能登の物産展の共同開催")
    sign_out(page)

    # 千代田区 sees it in "addressed to my ward" and answers 関心あり.
    sign_in(page, url, chiyoda_staff)
    page.goto(url + "/boards/")
    page.get_by_role("link", name="自区あての投稿").click()
    page.get_by_role("link", name="能登の物産展の共同開催").click()
    page.get_by_role("radio", name="関心あり").check()
    page.get_by_role("textbox", name="コメント（任意）").fill("会場を調整します。")
    page.get_by_role("button", name="回答を保存する").click()
    expect(page.get_by_text("区の回答を保存しました。")).to_be_visible()
    sign_out(page)

    # The author is told by mail, and moves the proposal to 調整中.
    told = [m for m in mail.outbox if member.email in m.to]
    assert told and "能登の物産展の共同開催" in told[-1].body
    sign_in(page, url, member)
    page.goto(url + "/boards/")
    page.get_by_role("link", name="能登の物産展の共同開催").first.click()
    expect(page.get_by_role("row", name=re.compile("千代田区"))).to_contain_text(
        "関心あり"
    )
    page.get_by_role("combobox", name="新しい状況").select_option(label="調整中")
    page.get_by_role("button", name="状況を変更する").click()
    expect(page.locator(".thread-details")).to_contain_text("調整中")


def test_report_then_moderator_hides_the_post_and_it_is_logged(
    page, live_server, member, other_member, chiyoda_staff, make_thread, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url
    thread = make_thread(
        author=other_member, title="不適切な投稿を含むスレッド", body="広告です。"
    )

    sign_in(page, url, member)
    page.goto(url + f"/boards/t/{thread.pk}/?page=1")
    page.get_by_role("link", name="通報する").first.click()
    page.get_by_role("textbox").first.fill("宣伝目的の投稿です。")
    page.get_by_role("button", name=re.compile("通報")).click()
    sign_out(page)

    sign_in(page, url, chiyoda_staff)
    page.goto(url + f"/boards/t/{thread.pk}/?page=1")
    post = page.locator("#post-0")
    post.locator("summary").click()
    post.get_by_role("textbox").fill("宣伝のため")
    post.get_by_role("button", name=re.compile("非表示")).click()
    expect(page.locator("#post-0")).to_contain_text("会員には非表示")
    entry = ModerationLog.objects.get(action="hide_post")
    assert entry.actor == chiyoda_staff
    sign_out(page)

    sign_in(page, url, member)
    page.goto(url + f"/boards/t/{thread.pk}/?page=1")
    expect(page.locator("#post-0")).to_contain_text("管理者により非表示")
    expect(page.locator("#post-0")).not_to_contain_text("広告です。")
