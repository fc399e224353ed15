"""A category read by the 23 wards only is nowhere for a member: not on the
board home, not in search, and its address is the 404 page; a ward's staff
member finds it in all three."""

import pytest
from playwright.sync_api import expect

from members import permissions
from tests import factories
from tests.browser.actions import sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


def search(page, url, words):
    page.goto(url + "/boards/search/")
    page.get_by_role("searchbox", name="キーワード").fill(words)
    page.get_by_role("button", name="検索").first.click()


def test_a_ward_only_category_is_invisible_to_a_member_and_open_to_a_ward(
    page, live_server
):
    url = live_server.url
    ward = factories.make_user(
        email="chiyoda@example.jp",
        organisation=factories.make_ward(),
        role=permissions.WARD_STAFF,
    )
    member = factories.make_user(email="nanao@example.jp")
    factories.make_category()
    factories.make_thread(
        author=ward,
        category="ward-coordination",
        title="全国連携フェアの担当区の割り振り",
        body="区間で分担を調整します。",
    )

    sign_in(page, url, member)
    page.goto(url + "/boards/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="区間調整")).to_have_count(0)
    expect(page.get_by_text("全国連携フェアの担当区の割り振り")).to_have_count(0)
    search(page, url, "担当区")
    expect(page.get_by_text("全国連携フェアの担当区の割り振り")).to_have_count(0)
    response = page.goto(url + "/boards/c/ward-coordination/")
    assert response.status == 404
    expect(page.get_by_text("区間で分担を調整します。")).to_have_count(0)
    page.goto(url + "/boards/")
    sign_out(page)

    sign_in(page, url, ward)
    page.goto(url + "/boards/")
    page.get_by_role("link", name="区間調整").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("区間調整")
    expect(page.get_by_text("23区のみ閲覧可")).to_be_visible()
    search(page, url, "担当区")
    page.get_by_role("link", name="全国連携フェアの担当区の割り振り").first.click()
    expect(page.get_by_text("区間で分担を調整します。")).to_be_visible()
