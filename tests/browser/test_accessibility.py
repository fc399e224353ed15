"""axe-core at WCAG 2.1 A/AA (JIS X 8341-3:2016 AA) on the site's pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
}
axe = Axe()


def violations(page, url):
    page.goto(url)
    found = axe.run(page, options=WCAG_AA).response["violations"]
    return [(v["id"], [node["target"] for node in v["nodes"]]) for v in found]


def sign_in(page, url, user):
    page.goto(url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


@pytest.mark.parametrize(
    "path",
    ["/", "/join/", "/accounts/login/", "/accounts/password/reset/", "/nowhere/"],
)
def test_public_pages_have_no_violations(page, live_server, path):
    assert violations(page, live_server.url + path) == []


def test_member_pages_have_no_violations(
    page, live_server, member, other_member, make_thread, make_reply
):
    thread = make_thread(
        author=other_member, title="防災訓練のご案内", body="**本文**です。"
    )
    make_reply(thread=thread, author=member, body="> 引用\n\n返信です。")
    sign_in(page, live_server.url, member)
    paths = [
        "/",
        "/boards/",
        "/boards/c/proposals/",
        "/boards/c/proposals/new/",
        f"/boards/t/{thread.pk}/?page=1",
        f"/boards/t/{thread.pk}/reply/",
        "/boards/search/?q=防災",
        "/boards/notifications/",
        "/boards/notifications/settings/",
        "/members/",
        f"/members/{member.organisation.pk}/",
        f"/members/{member.organisation.pk}/contact/",
        f"/members/{member.organisation.pk}/staff/",
        f"/members/{member.organisation.pk}/history/",
        "/accounts/2fa/",
        "/accounts/sessions/",
    ]
    found = {path: violations(page, live_server.url + path) for path in paths}
    assert {path: v for path, v in found.items() if v} == {}


def test_ward_pages_have_no_violations(page, live_server, ward_staff, settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False
    sign_in(page, live_server.url, ward_staff)
    for path in ["/boards/addressed/", "/boards/c/announcements/new/"]:
        assert violations(page, live_server.url + path) == [], path


def test_member_pages_fit_a_360_pixel_phone(
    page, live_server, member, other_member, make_thread
):
    thread = make_thread(
        author=other_member, title="防災訓練のご案内", body="本文です。"
    )
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, live_server.url, member)
    paths = [
        "/",
        "/boards/",
        "/boards/c/proposals/",
        "/boards/c/proposals/new/",
        f"/boards/t/{thread.pk}/?page=1",
        "/boards/search/?q=防災",
        "/members/",
        f"/members/{member.organisation.pk}/contact/",
        "/disaster/",
    ]
    too_wide = {}
    for path in paths:
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
    assert too_wide == {}
