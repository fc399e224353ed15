import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.actions import sign_in, sign_in_with, sign_out

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nanao(make_organisation):
    ishikawa = make_organisation(name="石川県", kind="prefecture", kana="いしかわけん")
    return make_organisation(
        name="七尾市",
        kana="ななおし",
        prefecture=ishikawa,
        membership_status="none",
        latitude="37.043",
        longitude="136.967",
    )


def mailed_link(path_pattern, address):
    """The path (without the leading slash) of a link last mailed to address."""
    for message in reversed(mail.outbox):
        found = re.search(r"https?://[^/\s]+" + path_pattern, message.body)
        if message.to == [address] and found:
            return found.group().split("/", 3)[3]
    raise AssertionError(f"no mail to {address} with {path_pattern}")


def test_apply_approve_set_password_edit_and_see_history(
    page, live_server, nanao, office_staff, settings
):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    url = live_server.url

    # A municipality applies.
    page.goto(url + "/join/")
    page.get_by_label("名称・ふりがなで検索").fill("ななお")
    page.get_by_role("combobox", name="自治体", exact=True).select_option(
        label="石川県七尾市"
    )
    page.get_by_label("担当部署").fill("観光交流課")
    page.get_by_role("textbox", name="担当者", exact=True).fill("山田 太郎")
    page.get_by_label("メールアドレス").fill("yamada@nanao.example.jp")
    page.get_by_label("電話番号").fill("0767-53-1111")
    page.get_by_role("button", name="申請を送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("確認メールを送りました")

    # ... and confirms the address with the mailed link.
    page.goto(url + "/" + mailed_link(r"/join/confirm/\S+", "yamada@nanao.example.jp"))
    expect(page.get_by_role("heading", level=1)).to_have_text("申請内容の確認")
    page.get_by_role("button", name="事務局に送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "お申し込みありがとうございました"
    )

    # The office approves it in admin.
    sign_in(page, url, office_staff)
    page.goto(url + "/admin/members/membershipapplication/")
    page.get_by_role("link", name=re.compile("石川県七尾市")).click()
    page.get_by_role("button", name="承認してアカウントを作成する").click()
    expect(page.get_by_text("承認しました")).to_be_visible()
    page.goto(url + "/")
    sign_out(page)

    # The new staff member sets a password from the mail.
    page.goto(
        url
        + "/"
        + mailed_link(r"/accounts/password/reset/key/\S+", "yamada@nanao.example.jp")
    )
    page.locator("input[name=password1]").fill("nanao-kanko-2026!")
    page.locator("input[name=password2]").fill("nanao-kanko-2026!")
    page.get_by_role("button", name=re.compile("パスワード")).click()

    # ... signs in and updates the contact details.
    sign_in_with(page, url, "yamada@nanao.example.jp", "nanao-kanko-2026!")
    expect(page.get_by_role("heading", level=1)).to_have_text("会員ホーム")
    page.get_by_role("link", name="連絡先を確認する").click()
    page.get_by_label("電話番号").fill("0767-53-2222")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_text("連絡先を保存しました。")).to_be_visible()
    sign_out(page)

    # The office sees who changed what.
    sign_in(page, url, office_staff)
    page.goto(url + f"/members/{nanao.pk}/history/")
    row = page.get_by_role("row", name=re.compile("0767-53-2222"))
    expect(row).to_contain_text("0767-53-1111")
    expect(row).to_contain_text("山田 太郎")


def test_directory_and_map_render(page, live_server, member, nanao, settings):
    nanao.membership_status = "member"
    nanao.save()
    sign_in(page, live_server.url, member)
    page.goto(live_server.url + "/members/")
    expect(page.get_by_role("heading", level=1)).to_have_text("会員名簿")
    expect(page.get_by_role("link", name="石川県七尾市")).to_be_visible()
    map_image = page.locator("img[src$='map.svg']")
    expect(map_image).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", map_image.element_handle()) > 0
